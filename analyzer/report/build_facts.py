"""Fill the ``facts`` summary of the JSON report model from a run's facts, field by field.

Each report entry is read through the typed key of its fact (:mod:`analyzer.facts`); a fact
the run did not collect reads as unknown, never as a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from analyzer.facts import EXECUTABLES, HOSTNAME, KERNELS, MACHINE_ID, MODULES_LOAD, OS
from analyzer.facts.executables import Candidate as InternalCandidate
from analyzer.facts.executables import Executables as InternalExecutables
from analyzer.facts.identity import HostName, MachineIds
from analyzer.facts.kernel import Kernel as InternalKernel
from analyzer.facts.kernel import ModulesLoad as InternalModulesLoad
from analyzer.facts.os import OsIdentity
from analyzer.model import Fact as InternalFact
from analyzer.model import Facts, FactState
from analyzer.model import Location as InternalLocation
from analyzer.report.document_facts import (
    AppArmor,
    Candidate,
    Cgroup,
    Executables,
    Fact,
    FactsSummary,
    Hostname,
    Kernel,
    Location,
    Lookup,
    MachineId,
    MachineIdFile,
    ModuleLoad,
    ModulesLoad,
    ModulesTree,
    OsInfo,
)

V = TypeVar("V")
T = TypeVar("T")


def facts_summary(facts: Facts) -> FactsSummary:
    """The report's facts summary of a run's ``facts``."""
    return FactsSummary(
        os=_entry(facts.get(OS), _os),
        kernels=_entry(facts.get(KERNELS), _kernels),
        modules_load=_entry(facts.get(MODULES_LOAD), _modules_load),
        executables=_entry(facts.get(EXECUTABLES), _executables),
        hostname=_entry(facts.get(HOSTNAME), _hostname),
        machine_id=_entry(facts.get(MACHINE_ID), _machine_id),
    )


def location(where: InternalLocation) -> Location:
    """The report form of an internal location."""
    return Location(where.path, where.line, where.access_path, where.layer)


def _entry(fact: InternalFact[V], convert: Callable[[V], T]) -> Fact[T]:
    where = None if fact.location is None else location(fact.location)
    if fact.state is not FactState.PRESENT or fact.value is None:
        return Fact(fact.state, None, where, fact.reason)
    return Fact(FactState.PRESENT, convert(fact.value), where, "")


def _os(value: OsIdentity) -> OsInfo:
    return OsInfo(
        id=value.id,
        version_id=value.version_id,
        pretty_name=value.pretty_name,
        architecture=value.architecture,
        architecture_source=value.architecture_source,
        init=value.init,
        init_evidence=value.init_evidence,
        fields=dict(sorted(value.fields.items())),
    )


def _kernels(value: tuple[InternalKernel, ...]) -> tuple[Kernel, ...]:
    return tuple(_kernel(kernel) for kernel in value)


def _kernel(kernel: InternalKernel) -> Kernel:
    modules = kernel.modules
    return Kernel(
        release=kernel.release,
        default=kernel.default,
        default_reason=kernel.default_reason,
        image=kernel.image.path if kernel.image else None,
        image_release=kernel.image_release,
        config_path=kernel.config_path,
        config_source=kernel.config_source,
        config_problem=kernel.config_problem,
        modules=None
        if modules is None
        else ModulesTree(
            modules.directory, modules.shipped_count, modules.builtin_count, modules.missing_count
        ),
        cmdline=tuple(param.text() for param in kernel.cmdline),
        cgroup=Cgroup(kernel.cgroup.mode, kernel.cgroup.detail, kernel.cgroup.certain),
        apparmor=None
        if kernel.apparmor is None
        else AppArmor(kernel.apparmor.enabled, kernel.apparmor.detail),
    )


def _modules_load(value: InternalModulesLoad) -> ModulesLoad:
    return ModulesLoad(
        entries=tuple(
            ModuleLoad(entry.module, entry.how, location(entry.location)) for entry in value.entries
        ),
        sources=value.sources,
    )


def _candidate(candidate: InternalCandidate) -> Candidate:
    return Candidate(
        path=candidate.path,
        status=candidate.status,
        chain=candidate.chain,
        applet=candidate.applet,
        applet_note=candidate.applet_note,
        variant=candidate.variant,
        location=location(candidate.location),
    )


def _executables(value: InternalExecutables) -> Executables:
    return Executables(
        search_path=value.search_path,
        path_source=value.path_source,
        lookups=tuple(
            Lookup(
                name=lookup.name,
                found=None if lookup.found is None else _candidate(lookup.found),
                rejected=tuple(_candidate(c) for c in lookup.rejected),
            )
            for _, lookup in sorted(value.lookups.items())
        ),
    )


def _hostname(value: HostName) -> Hostname:
    return Hostname(name=value.name, path=value.path)


def _machine_id(value: MachineIds) -> MachineId:
    return MachineId(
        files=tuple(
            MachineIdFile(
                path=item.path,
                state=item.state,
                content=item.content,
                relation=item.relation,
                location=location(item.location),
            )
            for _, item in sorted(value.files.items())
        )
    )
