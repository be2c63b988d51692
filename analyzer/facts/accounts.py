"""The ``accounts`` fact: the image's users and groups (``/etc/passwd``, ``/etc/group``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.model import Location


@dataclass(frozen=True, slots=True)
class IdTable:
    """Names and IDs of one file (``names`` is ``None`` when the file was not read)."""

    path: str
    names: Mapping[str, int] | None
    location: Location | None = None
    problem: str = ""
    by_id: Mapping[int, str] = field(default_factory=dict)

    def id_of(self, name: str) -> int | None:
        """The ID of ``name`` (``None``: unknown name or unread file)."""
        return None if self.names is None else self.names.get(name)

    def name_of(self, number: int) -> str | None:
        """The first name with ID ``number``."""
        return self.by_id.get(number)


@dataclass(frozen=True, slots=True)
class Accounts:
    """The image's users and groups."""

    users: IdTable
    groups: IdTable

    def owner(self, uid: int, gid: int) -> str:
        """``root:shadow``, or the numbers where a name is not known (``0:42``)."""
        user = self.users.name_of(uid)
        group = self.groups.name_of(gid)
        return f"{user if user is not None else uid}:{group if group is not None else gid}"
