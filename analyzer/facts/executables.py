"""The ``executables`` fact: names looked up over the search path as ``exec.LookPath`` would."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from analyzer.model import Location
from analyzer.stream.paths import basename


class CandidateStatus(enum.StrEnum):
    """Whether a ``DIR/NAME`` entry qualifies (``OK``), or why the search skipped it."""

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

    ``status`` is ``OK`` or the reason it was skipped; ``chain`` the link chain as text
    (``/usr/sbin/iptables -> /etc/alternatives/iptables -> /usr/sbin/iptables-nft``);
    ``applet`` is set for a name that leads to busybox, with ``applet_note`` naming the binary
    (and why its applets are unknown); ``variant`` is ``nft`` or ``legacy`` when the chain
    passes through an xtables front-end of that mode.
    """

    path: str
    status: CandidateStatus
    chain: str
    location: Location
    applet: Applet | None = None
    variant: str | None = None
    applet_note: str = ""

    @property
    def works(self) -> bool | None:
        """True for a usable hit, False for a busybox without the applet, None when unknown."""
        if self.status is not CandidateStatus.OK or self.applet is Applet.MISSING:
            return False
        return None if self.applet is Applet.UNKNOWN else True

    def describe(self) -> str:
        """``/sbin/mount -> /bin/busybox (busybox applet)`` or the reason it was skipped."""
        text = self.chain or self.path
        if self.status is not CandidateStatus.OK:
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
