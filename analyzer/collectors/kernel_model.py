"""What the kernels collector needs beside the value types: release order and the init reader.

The ``kernels`` fact's value type, :class:`~analyzer.facts.kernel.Kernel`, lives in
:mod:`analyzer.facts.kernel`.
"""

from __future__ import annotations

import re

from analyzer.collectors.textfiles import read_lines
from analyzer.kernel.cgroups import InitInfo
from analyzer.kernel.cmdline import Param
from analyzer.vfs.tree import Tree

NO_KERNEL = "no kernel in this artefact: kernel requirements cannot be determined from it"
SYSTEMD_LIBS = (
    "/usr/lib/systemd/libsystemd-shared-*.so",
    "/lib/systemd/libsystemd-shared-*.so",
    "/usr/lib/*/systemd/libsystemd-shared-*.so",
    "/usr/lib64/systemd/libsystemd-shared-*.so",
)
OPENRC = ("/sbin/openrc", "/usr/sbin/openrc", "/sbin/openrc-run", "/usr/sbin/openrc-run")
_SYSTEMD_VERSION = re.compile(r"libsystemd-shared-(\d+)")
_RC_MODE = re.compile(r"\s*rc_cgroup_mode\s*=\s*[\"']?([A-Za-z]*)")


def release_key(release: str) -> tuple[tuple[int, ...], str]:
    """Sort key: version numbers first, then the text (so ``6.1.0-13`` < ``6.1.0-9`` is fixed)."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", release))
    return numbers, release


def read_init(tree: Tree) -> InitInfo:
    """Systemd's version (from ``libsystemd-shared-N.so``) and OpenRC's ``rc_cgroup_mode``."""
    version = path = None
    for pattern in SYSTEMD_LIBS:
        for found in tree.glob(pattern):
            match = _SYSTEMD_VERSION.search(found)
            if match:
                version, path = int(match.group(1)), found
                break
        if version is not None:
            break
    openrc = any(tree.exists(p) for p in OPENRC)
    mode = None
    for number, line in enumerate(read_lines(tree, "/etc/rc.conf").lines or [], start=1):
        match = _RC_MODE.match(line)
        if match and match.group(1):
            mode = Param("rc_cgroup_mode", match.group(1), "/etc/rc.conf", number, "rc.conf")
    return InitInfo(version, path, openrc, mode)
