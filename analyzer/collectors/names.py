"""Name resolution as a static binary sees it: ``/etc/hosts``, ``resolv.conf``, nsswitch.

k0s is static and cannot load NSS plugins, so ``localhost`` resolves only through
``/etc/hosts`` or a nameserver that answers it (systemd-resolved's stub at 127.0.0.53).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzer.analyzers.text import CapturePattern
from analyzer.facts import Fact, Facts
from analyzer.model import Location, Notification
from analyzer.collectors.base import CollectContext
from analyzer.collectors.textfiles import read_lines
from analyzer.vfs.tree import ResolveError, Tree

STUB_ADDRESS = "127.0.0.53"
STUB_LINK_TARGETS = ("stub-resolv.conf", "/usr/lib/systemd/resolv.conf", "/lib/systemd/resolv.conf")
RESOLVED_UNIT = "systemd-resolved.service"
RESOLVED_ALIAS = "/etc/systemd/system/dbus-org.freedesktop.resolve1.service"


@dataclass(frozen=True, slots=True)
class HostsEntry:
    """One ``/etc/hosts`` line: its address and names."""

    line: int
    address: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NameResolution:
    """How ``localhost`` would resolve for a static binary, with the evidence."""

    hosts_path: str
    hosts_present: bool
    localhost: tuple[HostsEntry, ...]
    nameservers: tuple[str, ...]
    resolv_link: str | None
    stub_resolver: bool
    resolved_enabled: bool | None
    nsswitch_hosts: str | None
    nsswitch_line: int | None
    nss_plugins: tuple[str, ...]


class NameResolutionCollector:
    """Produces the ``name_resolution`` fact."""

    name = "name-resolution"
    provides = ("name_resolution",)
    requires: tuple[str, ...] = ()
    capture = (CapturePattern("/etc/**"),)

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """Read hosts, resolv.conf, nsswitch.conf and the resolved unit links."""
        del facts, notes
        tree = ctx.tree
        hosts = read_lines(tree, "/etc/hosts")
        entries = tuple(_localhost_entries(hosts.lines if hosts.lines is not None else []))
        resolv = read_lines(tree, "/etc/resolv.conf")
        servers = tuple(
            words[1]
            for _, words in _words(resolv.lines or [])
            if len(words) > 1 and words[0] == "nameserver"
        )
        link = _link_target(tree, "/etc/resolv.conf")
        stub = STUB_ADDRESS in servers or (
            link is not None and any(link.endswith(t) for t in STUB_LINK_TARGETS)
        )
        nss_line, nss_hosts = _nsswitch_hosts(read_lines(tree, "/etc/nsswitch.conf").lines or [])
        plugins = tuple(
            w for w in (nss_hosts or "").split() if w in ("myhostname", "resolve", "mymachines")
        )
        value = NameResolution(
            hosts_path="/etc/hosts",
            hosts_present=hosts.lines is not None,
            localhost=entries,
            nameservers=servers,
            resolv_link=link,
            stub_resolver=stub,
            resolved_enabled=_resolved_enabled(tree),
            nsswitch_hosts=nss_hosts,
            nsswitch_line=nss_line,
            nss_plugins=plugins,
        )
        return {"name_resolution": Fact.present(value, tree.location("/etc/hosts"))}


def _words(lines: list[str]) -> list[tuple[int, list[str]]]:
    out = []
    for number, line in enumerate(lines, start=1):
        words = line.split("#", 1)[0].split()
        if words:
            out.append((number, words))
    return out


def _localhost_entries(lines: list[str]) -> list[HostsEntry]:
    return [
        HostsEntry(number, words[0], tuple(words[1:]))
        for number, words in _words(lines)
        if any(name.lower() == "localhost" for name in words[1:])
    ]


def _nsswitch_hosts(lines: list[str]) -> tuple[int | None, str | None]:
    for number, words in _words(lines):
        if words[0] == "hosts:":
            return number, " ".join(words[1:])
    return None, None


def _link_target(tree: Tree, path: str) -> str | None:
    try:
        node = tree.lstat(path)
    except ResolveError:
        return None
    return node.link if node.is_symlink else None


def _resolved_enabled(tree: Tree) -> bool | None:
    """True when a ``*.wants`` link or the D-Bus alias enables systemd-resolved."""
    if not tree.exists("/lib/systemd/systemd-resolved", follow=True) and not tree.exists(
        "/usr/lib/systemd/systemd-resolved"
    ):
        return False
    wants = tree.glob(f"/etc/systemd/system/*.wants/{RESOLVED_UNIT}")
    return bool(wants) or tree.exists(RESOLVED_ALIAS, follow=False)


def hosts_location(value: NameResolution, line: int | None = None) -> Location:
    """Location of ``/etc/hosts`` (at ``line`` when given)."""
    return Location(value.hosts_path, line)
