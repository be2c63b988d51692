"""The image's init system, detected in one place for the ``os`` fact and the cgroup rules.

The kind is systemd when ``/sbin/init`` leads to systemd or systemd's binary exists, OpenRC
when one of its programs (:data:`OPENRC`) exists, ``other`` for another ``/sbin/init`` and
``none`` without any. The details the cgroup rules need come with it: systemd's version
(from ``libsystemd-shared-N.so``) and OpenRC's ``rc_cgroup_mode`` (from ``/etc/rc.conf``).
"""

from __future__ import annotations

import re

from analyzer.collectors.textfiles import read_lines
from analyzer.facts.os import InitKind, InitSystem
from analyzer.kernel.cgroups import InitInfo
from analyzer.kernel.cmdline import CmdlineSource, Param
from analyzer.stream.capture import CapturePattern
from analyzer.stream.paths import basename
from analyzer.vfs.tree import ResolveError, Tree

SYSTEMD = ("/lib/systemd/systemd", "/usr/lib/systemd/systemd")
SYSTEMD_LIBS = (
    "/usr/lib/systemd/libsystemd-shared-*.so",
    "/lib/systemd/libsystemd-shared-*.so",
    "/usr/lib/*/systemd/libsystemd-shared-*.so",
    "/usr/lib64/systemd/libsystemd-shared-*.so",
)
OPENRC = ("/sbin/openrc", "/usr/sbin/openrc", "/sbin/openrc-run", "/usr/sbin/openrc-run")
RC_CONF = "/etc/rc.conf"
#: What the pass must keep for :func:`detect_init`.
CAPTURE = (CapturePattern(RC_CONF),)
_SYSTEMD_VERSION = re.compile(r"libsystemd-shared-(\d+)")
_RC_MODE = re.compile(r"\s*rc_cgroup_mode\s*=\s*[\"']?([A-Za-z]*)")


def detect_init(tree: Tree) -> InitSystem:
    """The init system of the image, with the evidence and the details cgroups depend on."""
    kind, evidence = _kind(tree)
    return InitSystem(kind, evidence, _details(tree))


def _kind(tree: Tree) -> tuple[InitKind, str]:
    try:
        init = tree.resolve("/sbin/init")
    except ResolveError:
        init = None
    if init is not None and basename(init.real_path) == "systemd":
        return InitKind.SYSTEMD, init.describe_chain()
    for path in SYSTEMD:
        if tree.exists(path):
            return InitKind.SYSTEMD, path
    for path in OPENRC:
        if tree.exists(path):
            return InitKind.OPENRC, path
    if init is not None:
        return InitKind.OTHER, init.describe_chain()
    return InitKind.NONE, "no /sbin/init, systemd or OpenRC"


def _details(tree: Tree) -> InitInfo:
    version = where = None
    for pattern in SYSTEMD_LIBS:
        for found in tree.glob(pattern):
            match = _SYSTEMD_VERSION.search(found)
            if match:
                version, where = int(match.group(1)), tree.location(found)
                break
        if version is not None:
            break
    openrc = any(tree.exists(p) for p in OPENRC)
    mode = None
    for number, line in enumerate(read_lines(tree, RC_CONF).lines or [], start=1):
        match = _RC_MODE.match(line)
        if match and match.group(1):
            at = tree.location(RC_CONF, number)
            mode = Param("rc_cgroup_mode", match.group(1), at, CmdlineSource.RC_CONF)
    return InitInfo(version, where, openrc, mode)
