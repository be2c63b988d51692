"""The ``machine_id`` and ``hostname`` facts: the image's identity files."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from analyzer.model import Location


#: What a machine-id file may hold, as :attr:`MachineIdFile.state`.
class IdState(enum.StrEnum):
    """What a machine-id file holds (``LINK``: it is a link to ``/etc/machine-id``)."""

    MISSING = "missing"
    EMPTY = "empty"
    UNINITIALIZED = "uninitialized"
    VALID = "valid"
    INVALID = "invalid"
    UNREADABLE = "unreadable"
    LINK = "link"


#: Every state, in the order rule packs name them.
STATES = tuple(IdState)


class Relation(enum.StrEnum):
    """How the D-Bus machine-id relates to ``/etc/machine-id`` (``NONE``: nothing to compare)."""

    LINK = "link"
    EQUAL = "equal"
    DIFFERENT = "different"
    NONE = ""


@dataclass(frozen=True, slots=True)
class MachineIdFile:
    """One machine-id file: its state, content (trimmed) and relation to ``/etc/machine-id``.

    ``state`` is one of :data:`STATES`; ``link`` means the file is a link to
    ``/etc/machine-id``. ``relation`` is set for the D-Bus copy.
    """

    path: str
    state: IdState
    content: str
    location: Location
    relation: Relation = Relation.NONE


@dataclass(frozen=True, slots=True)
class MachineIds:
    """Both machine-id files, by path."""

    files: Mapping[str, MachineIdFile]


@dataclass(frozen=True, slots=True)
class HostName:
    """``/etc/hostname``: the name on its first non-comment line (``""`` when empty)."""

    path: str
    present: bool
    name: str
    location: Location
