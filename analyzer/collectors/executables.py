"""Executables as a program on the host would find them: ``exec.LookPath`` over ``PATH``.

The search path is the image's own ``PATH`` (from the container image configuration, when a
collector or the source provides one), else the default that init systems and container
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

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.analyzers.busybox import NOT_FOUND, BusyboxApplets
from analyzer.collectors.base import CollectContext
from analyzer.facts import Fact, Facts, present_value
from analyzer.model import Location, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.stream.paths import basename, join, split
from analyzer.vfs.tree import ResolveError, Tree

#: The ``PATH`` k0s and kubelet get from systemd, OpenRC and container runtimes.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: A link whose chain passes through ``iptables-nft`` or ``xtables-legacy-multi`` names its mode.
VARIANT = re.compile(r"^(?:ip6?tables|ebtables|arptables|xtables)-(nft|legacy)(?:-multi)?$")

OK = "ok"
DANGLING = "dangling link"
LOOP = "link loop"
DIRECTORY = "directory"
NOT_EXECUTABLE = "not executable"
NOT_REGULAR = "not a regular file"


class Applet(enum.StrEnum):
    """Whether the busybox a name leads to lists it as an applet."""

    LISTED = "listed"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ``DIR/NAME`` entry of the search: where it leads and whether it qualifies.

    ``status`` is :data:`OK` or the reason it was skipped; ``chain`` the link chain as text
    (``/usr/sbin/iptables -> /etc/alternatives/iptables -> /usr/sbin/iptables-nft``);
    ``applet`` is set for a name that leads to busybox, with ``applet_note`` naming the binary
    (and why its applets are unknown); ``variant`` is ``nft`` or ``legacy`` when the chain
    passes through an xtables front-end of that mode.
    """

    path: str
    status: str
    chain: str
    location: Location
    applet: Applet | None = None
    variant: str | None = None
    applet_note: str = ""

    @property
    def works(self) -> bool | None:
        """True for a usable hit, False for a busybox without the applet, None when unknown."""
        if self.status != OK or self.applet is Applet.MISSING:
            return False
        return None if self.applet is Applet.UNKNOWN else True

    def describe(self) -> str:
        """``/sbin/mount -> /bin/busybox (busybox applet)`` or the reason it was skipped."""
        text = self.chain or self.path
        if self.status != OK:
            return f"{text}: {self.status}"
        if self.applet is Applet.LISTED:
            return f"{text} (busybox applet)"
        if self.applet is Applet.MISSING:
            return f"{text}: {self.applet_note} has no {basename(self.path)} applet"
        if self.applet is Applet.UNKNOWN:
            return f"{text}: busybox applets unknown ({self.applet_note})"
        return text


@dataclass(frozen=True, slots=True)
class Lookup:
    """The result of looking one name up: the hit (if any) and the entries skipped on the way."""

    name: str
    found: Candidate | None
    rejected: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class Executables:
    """Every name reachable through the search path, looked up as ``exec.LookPath`` would."""

    search_path: tuple[str, ...]
    path_source: str
    lookups: Mapping[str, Lookup]

    def lookup(self, name: str) -> Lookup:
        """The lookup of ``name`` (an empty one when no directory has that name)."""
        return self.lookups.get(name) or Lookup(name, None)

    @property
    def path_text(self) -> str:
        """The search path as a ``PATH`` value."""
        return ":".join(self.search_path)


def image_path(facts: Facts, source_facts: Mapping[str, Any]) -> str | None:
    """``PATH`` from the image configuration's ``Env``, read defensively from either place."""
    for value in (present_value(facts, "image_config"), source_facts.get("image_config")):
        path = _env_path(value)
        if path is not None:
            return path
    return None


def _env_path(config: Any) -> str | None:
    if config is None:
        return None
    if isinstance(config, Mapping):
        env = config.get("Env", config.get("env"))
        if env is None and isinstance(config.get("config"), Mapping):
            env = config["config"].get("Env")
    else:
        env = getattr(config, "env", None)
    if isinstance(env, Mapping):
        value = env.get("PATH")
        return value if isinstance(value, str) else None
    if isinstance(env, list | tuple):
        for item in env:
            if isinstance(item, str) and item.startswith("PATH="):
                return item[len("PATH=") :]
    return None


def examine(tree: Tree, path: str) -> Candidate:
    """Judge one ``DIR/NAME`` entry as ``exec.LookPath`` would (links resolved in the image)."""
    try:
        found = tree.resolve(path)
    except ResolveError as exc:
        chain = " -> ".join([path, *(target for _, target in exc.chain)]) if exc.chain else ""
        status = LOOP if exc.reason == "loop" else DANGLING
        return Candidate(path, status, chain, tree.location(path, follow=False))
    node = found.node
    chain = found.describe_chain() if found.chain else ""
    location = tree.location(path)
    if node.is_dir:
        return Candidate(path, DIRECTORY, chain, location)
    if not node.is_file:
        return Candidate(path, NOT_REGULAR, chain, location)
    if not node.executable:
        return Candidate(path, NOT_EXECUTABLE, chain, location)
    hops = (found.access_path, *found.hops, found.real_path) if found.chain else ()
    variants = [m.group(1) for m in (VARIANT.match(basename(h)) for h in hops) if m]
    variant = variants[-1] if variants else None
    record = node.records.get("busybox")
    name = basename(path)
    if name.startswith("busybox") or not (
        isinstance(record, BusyboxApplets) or basename(found.real_path).startswith("busybox")
    ):
        return Candidate(path, OK, chain, location, None, variant)
    table = record if isinstance(record, BusyboxApplets) else NOT_FOUND
    listed = table.lists(name)
    state = Applet.UNKNOWN if listed is None else Applet.LISTED if listed else Applet.MISSING
    note = found.real_path + (f": {table.problem}" if table.problem else "")
    if state is Applet.MISSING:
        location = tree.location(path, follow=False)
    return Candidate(path, OK, chain, location, state, variant, note)


def search(tree: Tree, search_path: tuple[str, ...]) -> dict[str, Lookup]:
    """Look up every name present in any directory of ``search_path``."""
    found: dict[str, Candidate] = {}
    rejected: dict[str, list[Candidate]] = {}
    for directory in search_path:
        try:
            names = tree.listdir(directory)
        except ResolveError:
            continue
        for name in names:
            if name in found:
                continue
            candidate = examine(tree, join([*split(directory), name]))
            if candidate.status == OK:
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
    provides = ("executables",)
    requires = ("image_config",)
    capture: tuple[CapturePattern, ...] = ()

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """Search the image's PATH (or the default one)."""
        del notes
        from_image = image_path(facts, ctx.source_facts)
        path_text = from_image if from_image is not None else DEFAULT_PATH
        # exec.LookPath skips empty and relative entries (Go 1.19: the current directory is
        # never searched implicitly).
        dirs = tuple(d for d in path_text.split(":") if d.startswith("/"))
        source = "image config Env" if from_image is not None else "default"
        value = Executables(dirs, source, search(ctx.tree, dirs))
        return {"executables": Fact.present(value)}
