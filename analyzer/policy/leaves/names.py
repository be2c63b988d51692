"""Leaves about name resolution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import NAME_RESOLUTION, STATIC_NSS
from analyzer.facts.names import NameResolution
from analyzer.model import FactId, Facts, Location, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, unknown
from analyzer.policy.params import NO_PARAMS, ParamSpec
from analyzer.stream.paths import Unresolved

#: How a failed lookup of ``/etc/hosts`` is worded (``ResolveError.reason`` -> wording).
HOSTS_PROBLEMS: dict[str, str] = {
    Unresolved.DANGLING: "is a dangling symbolic link",
    Unresolved.LOOP: "is a symbolic link loop",
    Unresolved.NOT_A_FILE: "is not a regular file",
}


#: Static binaries named in the evidence before the list is cut short.
MAX_LISTED = 5


@dataclass(frozen=True, slots=True)
class LocalhostResolves:
    """``localhost_resolves: {}``: ``localhost`` resolves without NSS plugins.

    Passes on an ``/etc/hosts`` entry naming ``localhost`` (a whole token), or on a
    systemd-resolved stub resolver that is enabled. Fails otherwise, at ``/etc/hosts``.
    """

    key: ClassVar[str] = "localhost_resolves"
    needs: ClassVar[tuple[FactId, ...]] = (NAME_RESOLUTION, STATIC_NSS)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Decide from the name-resolution fact."""
        del subject
        value = facts.value(NAME_RESOLUTION)
        if value is None:
            return unknown(NAME_RESOLUTION, facts)
        static = _static_without_nss(facts)
        evidence = _evidence(value) + _static_evidence(static)
        if value.localhost:
            first = value.localhost[0]
            addresses = ", ".join(entry.address for entry in value.localhost)
            return LeafResult(
                Outcome.PASS,
                f"localhost: [{addresses}] from {value.hosts_path}",
                first.location or Location(value.hosts_path, first.line),
                evidence,
            )
        if value.stub_resolver and value.resolved_enabled:
            return LeafResult(
                Outcome.PASS,
                "localhost is answered by the systemd-resolved stub resolver (127.0.0.53)",
                value.resolv_location or Location("/etc/resolv.conf"),
                evidence,
            )
        if not value.hosts_present:
            problem = HOSTS_PROBLEMS.get(value.hosts_problem, "does not exist")
            detail = f"{value.hosts_path} {problem}"
        else:
            detail = f"{value.hosts_path} has no entry for localhost"
        if value.stub_resolver and value.resolved_enabled is False:
            detail += (
                "; resolv.conf points at the systemd-resolved stub, but the service is"
                f" {value.resolved}"
            )
        if "myhostname" in value.nss_plugins:
            detail += (
                "; nsswitch.conf relies on myhostname, so glibc tools will resolve localhost"
                " while static binaries such as k0s will not"
            )
        if static:
            detail += (
                f"; {len(static)} static binaries in this image resolve names the same way"
                f" (e.g. {static[0]})"
            )
        location = value.hosts_location or Location(value.hosts_path)
        return LeafResult(Outcome.FAIL, detail, location, evidence)


def _static_without_nss(facts: Facts) -> list[str]:
    """Paths of the static binaries in scope that cannot use NSS plugins (musl, Go, ...)."""
    binaries = facts.value(STATIC_NSS) or ()
    return sorted(binary.path for binary in binaries if not binary.nss)


def _static_evidence(paths: list[str]) -> tuple[str, ...]:
    if not paths:
        return ()
    shown = ", ".join(paths[:MAX_LISTED]) + (", ..." if len(paths) > MAX_LISTED else "")
    return (f"static binaries without NSS: {shown}",)


def _evidence(value: NameResolution) -> tuple[str, ...]:
    lines = []
    for entry in value.localhost:
        lines.append(f"{value.hosts_path}:{entry.line}: {entry.address} {' '.join(entry.names)}")
    if value.nsswitch_hosts is not None:
        lines.append(f"/etc/nsswitch.conf:{value.nsswitch_line}: hosts: {value.nsswitch_hosts}")
    if value.resolv_link:
        stub = " (the systemd-resolved stub)" if value.stub_resolver else ""
        lines.append(f"/etc/resolv.conf -> {value.resolv_link}{stub}")
    lines.append(f"systemd-resolved: {value.resolved} ({value.resolved_evidence})")
    if value.nameservers:
        lines.append(f"nameservers: {', '.join(value.nameservers)}")
    return tuple(lines)
