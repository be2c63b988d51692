"""The comparable facts of one run: per :class:`~analyzer.diff.model.Section`, subject -> text.

Each section is a flat mapping so that comparing two runs is the same for every section. A
fact that is unknown leaves its section out and says why (a section is never compared with
a guess); a fact that is absent (no kernel, no os-release) gives an empty section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from analyzer.diff.model import Section
from analyzer.facts import ELF_FILES, EXECUTABLES, HOSTNAME, KERNELS, MACHINE_ID, OS
from analyzer.facts.executables import Executables
from analyzer.facts.identity import HostName, IdState, MachineIds
from analyzer.facts.kernel import Kernel
from analyzer.facts.os import OsIdentity
from analyzer.kernel.kconfig import PREFIX, State
from analyzer.model import Evaluation, FactKey, FactState, Outcome, RunResult
from analyzer.stream.elfrecord import ElfRecord

#: Rule areas whose outcomes make the clone-hygiene section.
HYGIENE_AREAS = ("identity", "clone-hygiene")
#: os-release fields compared (the rest are presentation).
OS_FIELDS = ("ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME", "BUILD_ID", "VARIANT_ID")
#: The hardening properties of an ELF record, in the order they are shown.
HARDENING = ("pie", "relro", "nx", "canary", "fortify", "bind_now")

Sections = dict[Section, dict[str, str]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The sections of one run; ``undecided`` maps a left-out section to the reason."""

    sections: Mapping[Section, Mapping[str, str]]
    undecided: Mapping[Section, str]

    @property
    def release(self) -> str | None:
        """The default kernel's release, when the run found a kernel."""
        return self.sections.get(Section.KERNEL, {}).get("release")


def snapshot(result: RunResult) -> Snapshot:
    """Take the comparable facts of ``result``."""
    sections: Sections = {section: {} for section in Section}
    undecided: dict[Section, str] = {}
    facts = result.facts

    def value(key: FactKey[T], *covers: Section) -> T | None:
        if key not in facts:
            return None
        fact = facts.get(key)
        if fact.state is FactState.UNKNOWN:
            for section in covers:
                undecided.setdefault(section, f"{key.name}: {fact.reason}")
            return None
        return fact.value if fact.is_present else None

    _os(sections, value(OS, Section.OS))
    kernel_sections = (Section.KERNEL, Section.KERNEL_CONFIG, Section.MODULES)
    _kernels(sections, value(KERNELS, *kernel_sections) or ())
    _executables(sections, value(EXECUTABLES, Section.EXECUTABLES))
    _identity(sections, value(MACHINE_ID, Section.IDENTITY), value(HOSTNAME))
    _elf(sections, value(ELF_FILES, Section.ELF_LINKAGE, Section.ELF_HARDENING) or {})
    areas = {rule.id: rule.area for rule in result.rules}
    for evaluation in result.evaluations:
        if areas.get(evaluation.rule_id) in HYGIENE_AREAS:
            subject = evaluation.rule_id + (
                f" ({evaluation.subject})" if evaluation.subject else ""
            )
            sections[Section.CLONE_HYGIENE][subject] = _outcome(evaluation)
    for section in undecided:
        sections.pop(section, None)
    return Snapshot(sections, undecided)


def _outcome(evaluation: Evaluation) -> str:
    outcome = evaluation.outcome
    if outcome is Outcome.FAIL:
        return f"fail ({evaluation.level.value})"
    if outcome is Outcome.PASS:
        return "pass"
    return str(outcome.value).replace("_", " ")


def _os(sections: Sections, identity: OsIdentity | None) -> None:
    if identity is None:
        return
    target = sections[Section.OS]
    for name in OS_FIELDS:
        if identity.fields.get(name):
            target[name] = identity.fields[name]
    if identity.architecture:
        target["architecture"] = identity.architecture
    target["init"] = identity.init


def _kernels(sections: Sections, kernels: tuple[Kernel, ...]) -> None:
    default = next((k for k in kernels if k.default), kernels[0] if kernels else None)
    if default is None:
        return
    target = sections[Section.KERNEL]
    target["release"] = default.release
    others = sorted(k.release for k in kernels if k is not default)
    if others:
        target["other releases"] = ", ".join(others)
    target["configuration"] = default.config_evidence()
    if default.config is not None:
        sections[Section.KERNEL_CONFIG] = {
            PREFIX + name: _symbol_text(symbol.state, symbol.value)
            for name, symbol in sorted(default.config.symbols.items())
        }
    if default.modules is not None:
        sections[Section.MODULES] = dict.fromkeys(sorted(default.modules.shipped_names), "")


def _symbol_text(state: State, value: str) -> str:
    return value if state is State.VALUE else state.value


def _executables(sections: Sections, executables: Executables | None) -> None:
    if executables is None:
        return
    sections[Section.EXECUTABLES] = {
        name: lookup.found.path
        for name, lookup in sorted(executables.lookups.items())
        if lookup.found is not None
    }


def _identity(sections: Sections, ids: MachineIds | None, hostname: HostName | None) -> None:
    target = sections[Section.IDENTITY]
    if ids is not None:
        for path, item in sorted(ids.files.items()):
            shown = item.content if item.state in (IdState.VALID, IdState.INVALID) else ""
            text = item.state + (f" {shown}" if shown else "")
            target[path] = text + (f" ({item.relation})" if item.relation else "")
    target["hostname"] = hostname.name if hostname is not None and hostname.name else "(none)"


def _elf(sections: Sections, files: Mapping[str, ElfRecord]) -> None:
    for path, record in sorted(files.items()):
        if record.corrupt is not None:
            sections[Section.ELF_LINKAGE][path] = f"corrupt: {record.corrupt}"
            continue
        sections[Section.ELF_LINKAGE][path] = _linkage(record)
        sections[Section.ELF_HARDENING][path] = _hardening(record)


def _linkage(record: ElfRecord) -> str:
    parts = [record.machine_name, record.kind, record.linking or "not loaded"]
    if record.interp:
        parts.append(f"interpreter {record.interp}")
    if record.needed:
        parts.append(f"needs {' '.join(record.needed)}")
    if record.rpath or record.runpath:
        parts.append(f"search path {':'.join((*(record.rpath or ()), *(record.runpath or ())))}")
    return ", ".join(parts)


def _hardening(record: ElfRecord) -> str:
    values = {
        "pie": record.pie,
        "relro": record.relro,
        "nx": record.nx,
        "canary": record.canary,
        "fortify": record.fortify,
        "bind_now": record.bind_now,
    }
    return " ".join(f"{name}={_flag(values[name])}" for name in HARDENING)


def _flag(value: bool | str | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
