"""Leaves about host identity: machine-id files, ``/etc/hostname`` and build-host names."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import HOSTNAME, MACHINE_ID, NAME_RESOLUTION
from analyzer.facts.identity import STATES, HostName, IdState, Relation
from analyzer.model import FactId, Facts, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, unknown
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import LOWERCASE, STRING

_DESCRIBE = {
    "missing": "does not exist",
    "empty": "is empty",
    "uninitialized": "holds 'uninitialized'",
    "unreadable": "could not be read",
}


@dataclass(frozen=True, slots=True)
class MachineIdState:
    """``machine_id: {reject: [valid]}``: a machine-id file must not be in one of these states.

    States: missing, empty, uninitialized, valid (32 hex digits), invalid, unreadable, and
    link (the D-Bus copy is a link to ``/etc/machine-id``, judged there). Works on ``file``
    subjects naming ``/etc/machine-id`` or ``/var/lib/dbus/machine-id``.
    """

    key: ClassVar[str] = "machine_id"
    needs: ClassVar[tuple[FactId, ...]] = (MACHINE_ID,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.FILE,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("reject", STRING, required=True, many=True, choices=STATES)
    )
    reject: tuple[str, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Judge the subject's machine-id file."""
        ids = facts.value(MACHINE_ID)
        if ids is None:
            return unknown(MACHINE_ID, facts)
        item = ids.files.get(subject.key)
        if item is None:
            return LeafResult(Outcome.NOT_APPLICABLE, f"{subject.key} is not a machine-id file")
        if item.state is IdState.LINK:
            detail = f"{item.path} is a link to /etc/machine-id"
        elif item.state is IdState.VALID:
            detail = f"{item.path} holds the machine ID {item.content}"
        elif item.state is IdState.INVALID:
            detail = (
                f"{item.path} holds {item.content!r}, which is neither empty, 'uninitialized'"
                " nor a 32-digit hexadecimal ID"
            )
        else:
            detail = f"{item.path} {_DESCRIBE[item.state]}"
        if item.relation in (Relation.EQUAL, Relation.DIFFERENT):
            same = "the same as" if item.relation is Relation.EQUAL else "unlike"
            detail += f" ({same} /etc/machine-id)"
        outcome = Outcome.FAIL if item.state in self.reject else Outcome.PASS
        properties = {"state": item.state, "relation": item.relation}
        return LeafResult(outcome, detail, item.location, (), None, properties)


@dataclass(frozen=True, slots=True)
class HostnameIs:
    """``hostname: {allow: [localhost]}``: ``/etc/hostname`` is missing, empty or allowed."""

    key: ClassVar[str] = "hostname"
    needs: ClassVar[tuple[FactId, ...]] = (HOSTNAME,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    spec: ClassVar[ParamSpec] = ParamSpec(Param("allow", LOWERCASE, required=True, many=True))
    allow: tuple[str, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Fail on a name that is not allowed, at its line."""
        del subject
        fact = facts.get(HOSTNAME)
        if fact is None:
            return unknown(HOSTNAME, facts)
        if not fact.is_present:
            return LeafResult(Outcome.PASS, fact.reason or "/etc/hostname does not exist")
        value: HostName = fact.get()
        if not value.name:
            return LeafResult(Outcome.PASS, f"{value.path} is empty", value.location)
        outcome = Outcome.PASS if value.name.lower() in self.allow else Outcome.FAIL
        return LeafResult(outcome, f"{value.path} names the host {value.name!r}", value.location)


@dataclass(frozen=True, slots=True)
class HostsBuildName:
    """``hosts_build_name: {allow: [...], patterns: [packer-*]}``: no build host in /etc/hosts.

    Fails at the first ``/etc/hosts`` line that maps the name from ``/etc/hostname`` (unless
    it is allowed) or a name matching one of ``patterns``.
    """

    key: ClassVar[str] = "hosts_build_name"
    needs: ClassVar[tuple[FactId, ...]] = (NAME_RESOLUTION, HOSTNAME)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("allow", LOWERCASE, many=True), Param("patterns", LOWERCASE, many=True)
    )
    allow: tuple[str, ...]
    patterns: tuple[str, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Scan the ``/etc/hosts`` lines."""
        del subject
        value = facts.value(NAME_RESOLUTION)
        if value is None:
            return unknown(NAME_RESOLUTION, facts)
        host = facts.value(HOSTNAME)
        own = host.name.lower() if host is not None else ""
        suspects = {own} - {""} - set(self.allow)
        hits = []
        for entry in value.hosts_entries:
            names = [n for n in entry.names if self._suspect(n.lower(), suspects)]
            if names:
                hits.append((entry, names))
        if not hits:
            return LeafResult(Outcome.PASS, f"{value.hosts_path} names no build host")
        entry, names = hits[0]
        evidence = tuple(f"{value.hosts_path}:{e.line}: {e.address} {' '.join(n)}" for e, n in hits)
        detail = f"{value.hosts_path} line {entry.line} maps {', '.join(names)} to {entry.address}"
        return LeafResult(Outcome.FAIL, detail, entry.location, evidence)

    def _suspect(self, name: str, suspects: set[str]) -> bool:
        return name in suspects or any(fnmatch.fnmatchcase(name, p) for p in self.patterns)
