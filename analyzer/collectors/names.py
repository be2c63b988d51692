"""Name resolution as a static binary sees it: ``/etc/hosts``, ``resolv.conf``, nsswitch.

k0s is static and cannot load NSS plugins, so ``localhost`` resolves only through
``/etc/hosts`` or a nameserver that answers it (systemd-resolved's stub at 127.0.0.53). The
fact keeps every ``/etc/hosts`` line with its location (layer included), whether
``/etc/resolv.conf`` points at the resolved stub, whether systemd-resolved is enabled (its
``*.wants`` links, the D-Bus alias, or masked), and the ``nsswitch.conf`` ``hosts:`` line.
"""

from __future__ import annotations

from analyzer.collectors.base import CollectContext
from analyzer.collectors.textfiles import NOT_CAPTURED, read_lines
from analyzer.facts import NAME_RESOLUTION
from analyzer.facts.names import HostsEntry, NameResolution, ResolvedState
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import ResolveError, Tree

HOSTS = "/etc/hosts"
RESOLV_CONF = "/etc/resolv.conf"
NSSWITCH = "/etc/nsswitch.conf"
STUB_ADDRESS = "127.0.0.53"
STUB_LINK_TARGETS = ("stub-resolv.conf", "/usr/lib/systemd/resolv.conf", "/lib/systemd/resolv.conf")
RESOLVED_UNIT = "systemd-resolved.service"
RESOLVED_ALIAS = "/etc/systemd/system/dbus-org.freedesktop.resolve1.service"
RESOLVED_BINARIES = ("/lib/systemd/systemd-resolved", "/usr/lib/systemd/systemd-resolved")
#: Where enablement links for a unit live (``*.wants`` of any target, admin or vendor).
WANTS_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
NSS_PLUGINS = ("myhostname", "resolve", "mymachines")


class NameResolutionCollector:
    """Produces the ``name_resolution`` fact."""

    name = "name-resolution"
    provides: tuple[FactId, ...] = (NAME_RESOLUTION,)
    requires: tuple[FactId, ...] = ()
    capture = (CapturePattern("/etc/**"),)

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Read hosts, resolv.conf, nsswitch.conf and the resolved unit links."""
        del facts, notes
        tree = ctx.tree
        hosts = read_lines(tree, HOSTS)
        if hosts.problem == NOT_CAPTURED:
            reason = f"{HOSTS}: {NOT_CAPTURED} (over the capture cap, or a link out of /etc)"
            return FactStore.one(NAME_RESOLUTION, Fact.unknown(reason, tree.location(HOSTS)))
        all_entries = tuple(
            HostsEntry(number, words[0], tuple(words[1:]), tree.location(HOSTS, number))
            for number, words in _words(hosts.lines or [])
        )
        entries = tuple(
            e for e in all_entries if any(name.lower() == "localhost" for name in e.names)
        )
        resolv = read_lines(tree, RESOLV_CONF)
        servers = tuple(
            words[1]
            for _, words in _words(resolv.lines or [])
            if len(words) > 1 and words[0] == "nameserver"
        )
        link = _link_target(tree, RESOLV_CONF)
        stub = STUB_ADDRESS in servers or (
            link is not None and any(link.endswith(t) for t in STUB_LINK_TARGETS)
        )
        nss_line, nss_hosts = _nsswitch_hosts(read_lines(tree, NSSWITCH).lines or [])
        plugins = tuple(w for w in (nss_hosts or "").split() if w in NSS_PLUGINS)
        state, why = resolved_state(tree)
        value = NameResolution(
            hosts_path=HOSTS,
            hosts_present=hosts.lines is not None,
            hosts_problem=hosts.problem,
            localhost=entries,
            nameservers=servers,
            resolv_link=link,
            stub_resolver=stub,
            resolved_enabled=state is ResolvedState.ENABLED,
            nsswitch_hosts=nss_hosts,
            nsswitch_line=nss_line,
            nss_plugins=plugins,
            hosts_entries=all_entries,
            hosts_location=tree.location(HOSTS),
            resolv_location=tree.location(RESOLV_CONF, follow=False),
            nsswitch_location=tree.location(NSSWITCH, nss_line),
            resolved=state,
            resolved_evidence=why,
        )
        return FactStore.one(NAME_RESOLUTION, Fact.present(value, tree.location(HOSTS)))


def _words(lines: list[str]) -> list[tuple[int, list[str]]]:
    out = []
    for number, line in enumerate(lines, start=1):
        words = line.split("#", 1)[0].split()
        if words:
            out.append((number, words))
    return out


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


def resolved_state(tree: Tree) -> tuple[ResolvedState, str]:
    """Whether systemd-resolved is enabled, disabled, masked or not installed, and why."""
    if not any(tree.exists(path) for path in RESOLVED_BINARIES):
        return (
            ResolvedState.NOT_INSTALLED,
            "no systemd-resolved binary in /lib/systemd or /usr/lib/systemd",
        )
    admin = f"/etc/systemd/system/{RESOLVED_UNIT}"
    if _link_target(tree, admin) == "/dev/null":
        return ResolvedState.MASKED, f"{admin} -> /dev/null"
    for directory in WANTS_DIRS:
        wants = tree.glob(f"{directory}/*.wants/{RESOLVED_UNIT}")
        if wants:
            return ResolvedState.ENABLED, f"{wants[0]} (enablement link)"
    if tree.exists(RESOLVED_ALIAS, follow=False):
        return ResolvedState.ENABLED, f"{RESOLVED_ALIAS} (D-Bus alias)"
    return ResolvedState.DISABLED, f"no *.wants/{RESOLVED_UNIT} link"
