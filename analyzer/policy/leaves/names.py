"""Leaves about name resolution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from analyzer.collectors.names import NameResolution
from analyzer.facts import Facts
from analyzer.model import Location, Outcome
from analyzer.policy.leaf import LeafResult, Subject, unknown


@dataclass(frozen=True, slots=True)
class LocalhostResolves:
    """``localhost_resolves: {}``: ``localhost`` resolves without NSS plugins.

    Passes on an ``/etc/hosts`` entry naming ``localhost`` (a whole token), or on a
    systemd-resolved stub resolver that is enabled. Fails otherwise, at ``/etc/hosts``.
    """

    key: ClassVar[str] = "localhost_resolves"
    needs: ClassVar[tuple[str, ...]] = ("name_resolution",)
    subjects: ClassVar[tuple[str, ...]] = ("image",)

    @classmethod
    def parse(cls, params: Any) -> LocalhostResolves:
        """No parameters."""
        if params not in (None, {}):
            raise ValueError("takes no parameters")
        return cls()

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Decide from the name-resolution fact."""
        del subject
        fact = facts.get("name_resolution")
        if fact is None or not fact.is_present:
            return unknown("name_resolution", facts)
        value: NameResolution = fact.get()
        evidence = _evidence(value)
        if value.localhost:
            first = value.localhost[0]
            addresses = ", ".join(entry.address for entry in value.localhost)
            return LeafResult(
                Outcome.PASS,
                f"localhost: [{addresses}] from {value.hosts_path}",
                Location(value.hosts_path, first.line),
                evidence,
            )
        if value.stub_resolver and value.resolved_enabled:
            return LeafResult(
                Outcome.PASS,
                "localhost is answered by the systemd-resolved stub resolver (127.0.0.53)",
                Location("/etc/resolv.conf"),
                evidence,
            )
        if not value.hosts_present:
            detail = f"{value.hosts_path} does not exist"
        else:
            detail = f"{value.hosts_path} has no entry for localhost"
        if value.stub_resolver and value.resolved_enabled is False:
            detail += "; resolv.conf points at the systemd-resolved stub, but the service is not enabled"
        if "myhostname" in value.nss_plugins:
            detail += (
                "; nsswitch.conf relies on myhostname, so glibc tools will resolve localhost"
                " while static binaries such as k0s will not"
            )
        return LeafResult(Outcome.FAIL, detail, Location(value.hosts_path), evidence)


def _evidence(value: NameResolution) -> tuple[str, ...]:
    lines = []
    for entry in value.localhost:
        lines.append(f"{value.hosts_path}:{entry.line}: {entry.address} {' '.join(entry.names)}")
    if value.nsswitch_hosts is not None:
        lines.append(f"/etc/nsswitch.conf:{value.nsswitch_line}: hosts: {value.nsswitch_hosts}")
    if value.resolv_link:
        lines.append(f"/etc/resolv.conf -> {value.resolv_link}")
    if value.nameservers:
        lines.append(f"nameservers: {', '.join(value.nameservers)}")
    return tuple(lines)
