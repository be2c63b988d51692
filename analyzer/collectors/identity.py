"""Host identity baked into the image: ``machine-id`` files and the host name.

A golden image must leave these for first boot to fill in: an image that carries a machine
ID or a build host's name hands the same identity to every clone.
"""

from __future__ import annotations

import re

from analyzer.collectors.base import CollectContext
from analyzer.collectors.textfiles import read_lines
from analyzer.facts import HOSTNAME as HOSTNAME_FACT
from analyzer.facts import MACHINE_ID
from analyzer.facts.identity import HostName, IdState, MachineIdFile, MachineIds, Relation
from analyzer.model import Fact, FactId, Facts, FactStore, Level, Location, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.stream.paths import NOT_THERE
from analyzer.vfs.tree import NotCaptured, ResolveError, Tree

ETC_MACHINE_ID = "/etc/machine-id"
DBUS_MACHINE_ID = "/var/lib/dbus/machine-id"
MACHINE_ID_FILES = (ETC_MACHINE_ID, DBUS_MACHINE_ID)
HOSTNAME = "/etc/hostname"
#: Largest machine-id file worth keeping (a valid one is 33 bytes).
MACHINE_ID_CAP = 4096
#: States whose content cannot be compared with the other file's.
UNKNOWN_CONTENT = (IdState.MISSING, IdState.UNREADABLE)
_HEX_ID = re.compile(r"[0-9a-fA-F]{32}")


def classify(content: str) -> IdState:
    """``empty``, ``uninitialized``, ``valid`` (32 hex digits, not all zero) or ``invalid``."""
    text = content.strip()
    if not text:
        return IdState.EMPTY
    if text == "uninitialized":
        return IdState.UNINITIALIZED
    if _HEX_ID.fullmatch(text) and text.strip("0"):
        return IdState.VALID
    return IdState.INVALID


def _read_id(tree: Tree, path: str) -> MachineIdFile:
    location = tree.location(path, 1)
    try:
        data = tree.read(path)
    except ResolveError as exc:
        state = IdState.MISSING if exc.reason in NOT_THERE else IdState.UNREADABLE
        return MachineIdFile(path, state, "", tree.location(path))
    except NotCaptured:
        return MachineIdFile(path, IdState.UNREADABLE, "", location)
    content = data.decode("utf-8", "replace").strip()
    return MachineIdFile(path, classify(content), content[:64], location)


def machine_ids(tree: Tree) -> MachineIds:
    """Read both machine-id files and relate the D-Bus one to ``/etc/machine-id``."""
    etc = _read_id(tree, ETC_MACHINE_ID)
    dbus = _read_id(tree, DBUS_MACHINE_ID)
    try:
        real = tree.resolve(DBUS_MACHINE_ID).real_path
    except ResolveError:
        real = ""
    if real == ETC_MACHINE_ID:
        link = tree.resolve(DBUS_MACHINE_ID, follow=False)
        here = Location(link.real_path, None, None, link.node.layer)
        dbus = MachineIdFile(DBUS_MACHINE_ID, IdState.LINK, dbus.content, here, Relation.LINK)
    elif dbus.state not in UNKNOWN_CONTENT and etc.state not in UNKNOWN_CONTENT:
        relation = Relation.EQUAL if dbus.content == etc.content else Relation.DIFFERENT
        dbus = MachineIdFile(DBUS_MACHINE_ID, dbus.state, dbus.content, dbus.location, relation)
    return MachineIds({ETC_MACHINE_ID: etc, DBUS_MACHINE_ID: dbus})


def host_name(tree: Tree) -> HostName:
    """The name in ``/etc/hostname`` and the line it is on."""
    text = read_lines(tree, HOSTNAME)
    for number, line in enumerate(text.lines or [], start=1):
        name = line.split("#", 1)[0].strip()
        if name:
            return HostName(HOSTNAME, True, name, tree.location(HOSTNAME, number))
    return HostName(HOSTNAME, text.present, "", tree.location(HOSTNAME))


class IdentityCollector:
    """Produces the ``machine_id`` and ``hostname`` facts."""

    name = "identity"
    provides: tuple[FactId, ...] = (MACHINE_ID, HOSTNAME_FACT)
    requires: tuple[FactId, ...] = ()
    capture = (CapturePattern(DBUS_MACHINE_ID, MACHINE_ID_CAP), CapturePattern("/etc/**"))

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Read the machine-id files and ``/etc/hostname``."""
        del facts
        ids = machine_ids(ctx.tree)
        for item in ids.files.values():
            if item.state is IdState.UNREADABLE:
                notes.append(
                    Notification(
                        Level.WARNING, "identity.unreadable", f"{item.path}: content not read",
                        item.location,
                    )
                )  # fmt: skip
        hostname = host_name(ctx.tree)
        hostname_fact: Fact[HostName] = (
            Fact.present(hostname, hostname.location)
            if hostname.present
            else Fact.absent(f"{HOSTNAME} does not exist", hostname.location)
        )
        out = FactStore.one(MACHINE_ID, Fact.present(ids, ids.files[ETC_MACHINE_ID].location))
        out.put(HOSTNAME_FACT, hostname_fact)
        return out
