"""Leaves about executables on the search path, and the AppArmor gate for ``apparmor_parser``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import APPARMOR, EXECUTABLES, OS, PACKAGES
from analyzer.facts.executables import Candidate, Lookup
from analyzer.model import FactId, Facts, JSONObject, Location, Outcome
from analyzer.packages.providers import provider
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, unknown
from analyzer.policy.params import NO_PARAMS, Param, ParamSpec
from analyzer.policy.paramtypes import FILE_NAME


@dataclass(frozen=True, slots=True)
class ExecutableFound:
    """``executable: {names: [useradd, adduser]}``: the first name found on PATH passes.

    Fails when none is found. When an entry with one of the names exists but cannot run (a
    dangling link, a link to a directory or to a file without an execute bit, a link to a
    busybox without that applet), the failure names that entry and is located at it;
    otherwise it is located at the image root. A busybox whose applets are unknown makes the
    result unknown. A failure ends with the package that provides the name on the image's
    distribution (``providers.toml``), or says that package is installed but the file is gone.
    """

    key: ClassVar[str] = "executable"
    needs: ClassVar[tuple[FactId, ...]] = (EXECUTABLES, OS, PACKAGES)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    spec: ClassVar[ParamSpec] = ParamSpec(Param("names", FILE_NAME, required=True, many=True))
    names: tuple[str, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Look each name up in the ``executables`` fact."""
        del subject
        value = facts.value(EXECUTABLES)
        if value is None:
            return unknown(EXECUTABLES, facts)
        lookups = [value.lookup(name) for name in self.names]
        evidence: tuple[str, ...] = (f"PATH ({value.path_source}): {value.path_text}",)
        evidence += tuple(f"skipped {c.describe()}" for lk in lookups for c in lk.rejected)
        hits = [(lk, lk.found) for lk in lookups if lk.found is not None]
        for lookup, found in hits:
            if found.works:
                return _found(lookup, found, evidence, named=len(self.names) > 1)
        undecided = [found for _, found in hits if found.works is None]
        if undecided:
            first = undecided[0]
            return LeafResult(Outcome.UNKNOWN, first.describe(), first.location, evidence)
        broken = [found for _, found in hits] + [c for lk in lookups for c in lk.rejected]
        hint, properties = _provider(self.names, facts)
        if broken:
            first = broken[0]
            detail = f"{_none_of(self.names)} usable: {first.describe()}{hint}"
            return LeafResult(Outcome.FAIL, detail, first.location, evidence, None, properties)
        detail = f"{_none_of(self.names)} in PATH {value.path_text}{hint}"
        return LeafResult(Outcome.FAIL, detail, Location("/"), evidence, None, properties)


def _provider(names: tuple[str, ...], facts: Facts) -> tuple[str, JSONObject]:
    """``; on fedora the util-linux package provides mount`` and the package as a property."""
    identity = facts.value(OS)
    packages = facts.value(PACKAGES)
    fields = identity.fields if identity is not None else {}
    for name in names:
        found = provider(name, fields, packages)
        if found is not None:
            return f"; {found.describe()}", {"package": found.package}
    return "", {}


def _found(lookup: Lookup, found: Candidate, evidence: tuple[str, ...], named: bool) -> LeafResult:
    """A hit; ``named`` prefixes the name that was found (for rules with fallbacks)."""
    properties: JSONObject = {"path": found.path}
    detail = f"{lookup.name}: {found.describe()}" if named else found.describe()
    if found.chain:
        properties["chain"] = found.chain
    if found.variant:
        properties["mode"] = found.variant
        detail += f"; {lookup.name} mode: {found.variant}"
        evidence += (f"{lookup.name} mode {found.variant} (from the link chain)",)
    return LeafResult(Outcome.PASS, detail, found.location, evidence, None, properties)


def _none_of(names: tuple[str, ...]) -> str:
    """``modprobe is not`` or ``neither useradd nor adduser is``, for the words that follow."""
    if len(names) == 1:
        return f"{names[0]} is not"
    return "neither " + " nor ".join(names) + " is"


@dataclass(frozen=True, slots=True)
class AppArmorEnabled:
    """``apparmor_enabled: {}``: passes when AppArmor would be enabled on the host.

    Reads the ``apparmor`` fact of the default kernel. A fact that is not present (no kernel,
    no configuration) is unknown, never a verdict.
    """

    key: ClassVar[str] = "apparmor_enabled"
    needs: ClassVar[tuple[FactId, ...]] = (APPARMOR,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Pass on ``enabled`` true, fail on false, unknown otherwise."""
        del subject
        fact = facts.get(APPARMOR)
        if not fact.is_present:
            return unknown(APPARMOR, facts)
        if fact.get().enabled:
            return LeafResult(Outcome.PASS, "AppArmor would be enabled", fact.location)
        return LeafResult(Outcome.FAIL, "AppArmor would not be enabled", fact.location)
