"""The ``services`` fact: which services the image would start at boot, systemd or OpenRC.

systemd enables a unit by linking it into a ``*.wants/`` or ``*.requires/`` directory of a
unit directory (``/etc/systemd/system`` by the administrator, ``/usr/lib/systemd/system`` and
``/lib/systemd/system`` by packages); ``systemctl mask`` links ``/etc/systemd/system/UNIT``
to ``/dev/null`` (or leaves it empty), which wins over any such link. OpenRC starts the
services linked in ``/etc/runlevels/LEVEL/``. A unit name without a type means ``.service``.
"""

from __future__ import annotations

from analyzer.collectors.base import CollectContext
from analyzer.facts import SERVICES
from analyzer.facts.services import Services
from analyzer.model import Fact, FactId, Facts, FactStore, Location, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.stream.paths import basename
from analyzer.vfs.tree import ResolveError, Tree

#: systemd's system unit directories, most specific first.
UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
RUNLEVELS = "/etc/runlevels"
MASK_TARGET = "/dev/null"


def _is_mask(tree: Tree, path: str) -> bool:
    try:
        node = tree.lstat(path)
        if node.is_symlink and (node.link or "").rstrip("/") == MASK_TARGET:
            return True
        target = tree.stat(path)
    except ResolveError:
        return False
    return target.is_file and target.size == 0


_Links = dict[str, list[Location]]


def systemd(tree: Tree) -> tuple[_Links, dict[str, Location], dict[str, Location]]:
    """Enablement links, masks and unit files of every unit directory."""
    enabled: _Links = {}
    masked: dict[str, Location] = {}
    units: dict[str, Location] = {}
    for directory in UNIT_DIRS:
        for pattern in ("/*.wants/*", "/*.requires/*"):
            for path in tree.glob(directory + pattern):
                location = tree.location(path, follow=False)
                enabled.setdefault(basename(path), []).append(location)
        for path in tree.glob(directory + "/*"):
            name = basename(path)
            if "." not in name or name.endswith((".wants", ".requires", ".d")):
                continue
            if directory == UNIT_DIRS[0] and _is_mask(tree, path):
                masked.setdefault(name, tree.location(path, follow=False))
            else:
                units.setdefault(name, tree.location(path, follow=False))
    return enabled, masked, units


def openrc(tree: Tree) -> _Links:
    """Services by name, with the runlevel links that start them."""
    found: _Links = {}
    for path in tree.glob(RUNLEVELS + "/*/*"):
        found.setdefault(basename(path), []).append(tree.location(path, follow=False))
    return found


class ServicesCollector:
    """Produces the ``services`` fact (always present; read from links, no content needed)."""

    name = "services"
    provides: tuple[FactId, ...] = (SERVICES,)
    requires: tuple[FactId, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Collect systemd links, masks and units, and OpenRC runlevels."""
        del facts, notes
        enabled, masked, units = systemd(ctx.tree)
        levels = openrc(ctx.tree)
        value = Services(
            {name: tuple(found) for name, found in enabled.items()},
            masked,
            units,
            {name: tuple(found) for name, found in levels.items()},
        )
        return FactStore.one(SERVICES, Fact.present(value))
