"""Executables as a program on the host would find them: ``exec.LookPath`` over ``PATH``.

The search path is the image's own ``PATH`` (from the ``image_config`` fact of a container
image), else the default that init systems and container
runtimes use. Each directory is searched in order; a name is found at the first entry that,
after resolving links inside the image, is a regular file with an execute bit. Entries that
would have matched but lead nowhere, to a directory or to a file without an execute bit are
kept as rejected candidates, so rules can say why a name is missing.

A name that leads to busybox (a link, or a hard link to the binary) is an applet: it works only
when that binary's applet table lists the name (:mod:`analyzer.analyzers.busybox`). The search
still stops there, as ``exec.LookPath`` does, and the candidate says whether the applet is
listed, missing, or unknown because the table was not found.
"""

from __future__ import annotations

import re

from analyzer.collectors.base import CollectContext
from analyzer.facts import EXECUTABLES, IMAGE_CONFIG
from analyzer.facts.executables import (
    Applet,
    Candidate,
    CandidateStatus,
    Executables,
    Lookup,
)
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.busybox import BUSYBOX, NOT_FOUND
from analyzer.stream.capture import CapturePattern
from analyzer.stream.paths import Unresolved, basename, join, split
from analyzer.vfs.tree import ResolveError, Tree

#: The ``PATH`` k0s and kubelet get from systemd, OpenRC and container runtimes.
PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
#: A link whose chain passes through ``iptables-nft`` or ``xtables-legacy-multi`` names its mode.
VARIANT = re.compile(r"^(?:ip6?tables|ebtables|arptables|xtables)-(nft|legacy)(?:-multi)?$")


def examine(tree: Tree, path: str) -> Candidate:
    """Judge one ``DIR/NAME`` entry as ``exec.LookPath`` would (links resolved in the image)."""
    try:
        found = tree.resolve(path)
    except ResolveError as exc:
        chain = " -> ".join([path, *(target for _, target in exc.chain)]) if exc.chain else ""
        status = CandidateStatus.LOOP if exc.reason is Unresolved.LOOP else CandidateStatus.DANGLING
        return Candidate(path, status, chain, tree.location(path, follow=False))
    node = found.node
    chain = found.describe_chain() if found.chain else ""
    location = tree.location(path)
    if node.is_dir:
        return Candidate(path, CandidateStatus.DIRECTORY, chain, location)
    if not node.is_file:
        return Candidate(path, CandidateStatus.NOT_REGULAR, chain, location)
    if not node.executable:
        return Candidate(path, CandidateStatus.NOT_EXECUTABLE, chain, location)
    hops = (found.access_path, *found.hops, found.real_path) if found.chain else ()
    variants = [m.group(1) for m in (VARIANT.match(basename(h)) for h in hops) if m]
    variant = variants[-1] if variants else None
    record = node.records.get(BUSYBOX)
    name = basename(path)
    if name.startswith("busybox") or not (
        record is not None or basename(found.real_path).startswith("busybox")
    ):
        return Candidate(path, CandidateStatus.OK, chain, location, None, variant)
    table = record if record is not None else NOT_FOUND
    listed = table.lists(name)
    state = Applet.UNKNOWN if listed is None else Applet.LISTED if listed else Applet.MISSING
    note = found.real_path + (f": {table.problem}" if table.problem else "")
    if state is Applet.MISSING:
        location = tree.location(path, follow=False)
    return Candidate(path, CandidateStatus.OK, chain, location, state, variant, note)


def search(tree: Tree, search_path: tuple[str, ...]) -> dict[str, Lookup]:
    """Look up every name present in any directory of ``search_path``."""
    found: dict[str, Candidate] = {}
    rejected: dict[str, list[Candidate]] = {}
    for directory, name in tree.listdirs(search_path):
        if name in found:
            continue
        candidate = examine(tree, join([*split(directory), name]))
        if candidate.status is CandidateStatus.OK:
            found[name] = candidate
        else:
            rejected.setdefault(name, []).append(candidate)
    return {
        name: Lookup(name, found.get(name), tuple(rejected.get(name, ())))
        for name in sorted({*found, *rejected})
    }


class ExecutablesCollector:
    """Produces the ``executables`` fact (always present; an image without PATH dirs is empty)."""

    name = "executables"
    provides: tuple[FactId, ...] = (EXECUTABLES,)
    requires: tuple[FactId, ...] = (IMAGE_CONFIG,)
    capture: tuple[CapturePattern, ...] = ()

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Search the image's PATH (or the default one)."""
        del notes
        config = facts.value(IMAGE_CONFIG)
        from_image = config.path if config is not None else None
        entries = from_image if from_image is not None else PATH_DIRS
        # exec.LookPath skips empty and relative entries (Go 1.19: the current directory is
        # never searched implicitly).
        dirs = tuple(d for d in entries if d.startswith("/"))
        source = "image config Env" if from_image is not None else "default"
        value = Executables(dirs, source, search(ctx.tree, dirs))
        return FactStore.one(EXECUTABLES, Fact.present(value))
