"""The ``name_resolution`` fact: how ``localhost`` resolves, with the files that decide it."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from analyzer.model import Location


class ResolvedState(enum.StrEnum):
    """Whether systemd-resolved runs: enabled, disabled, masked, or not installed at all."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    MASKED = "masked"
    NOT_INSTALLED = "not installed"


@dataclass(frozen=True, slots=True)
class HostsEntry:
    """One ``/etc/hosts`` line: its address, names and location."""

    line: int
    address: str
    names: tuple[str, ...]
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class NameResolution:
    """How ``localhost`` would resolve for a static binary, with the evidence.

    ``resolved_enabled`` is ``resolved`` as a tri-state (``None`` never occurs today, kept for
    sources that cannot tell). ``resolved_evidence`` names the link that decided it.
    """

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
    hosts_entries: tuple[HostsEntry, ...] = ()
    hosts_location: Location | None = None
    resolv_location: Location | None = None
    nsswitch_location: Location | None = None
    resolved: ResolvedState = ResolvedState.NOT_INSTALLED
    resolved_evidence: str = ""
    hosts_problem: str = ""
