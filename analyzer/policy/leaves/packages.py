"""Leaves about installed packages and the services started at boot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import OS, PACKAGES, SERVICES
from analyzer.facts.os import InitKind
from analyzer.facts.services import Services, unit_name
from analyzer.model import FactId, Facts, Location, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, unknown
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import STRING


def _none(names: tuple[str, ...], state: str) -> str:
    """``a is not installed`` or ``neither a nor b is installed``."""
    if len(names) == 1:
        return f"{names[0]} is not {state}"
    return "neither " + " nor ".join(names) + f" is {state}"


@dataclass(frozen=True, slots=True)
class PackageInstalled:
    """``package_installed: {names: [openssh-server, openssh]}``: one of them is installed.

    Reads the ``packages`` fact (dpkg, rpm, apk). Fails only when every database found was
    read and lists none of the names; without a database, or with one that could not be read,
    the outcome is unknown.
    """

    key: ClassVar[str] = "package_installed"
    needs: ClassVar[tuple[FactId, ...]] = (PACKAGES,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("names", STRING, required=True, many=True, doc="package names, any one counts")
    )
    names: tuple[str, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Look the names up in the merged package databases."""
        del subject
        value = facts.value(PACKAGES)
        if value is None:
            return unknown(PACKAGES, facts)
        evidence = (value.describe_databases(),)
        for name in self.names:
            if value.installed(name):
                package = value.packages[name]
                where = value.location(name)
                detail = f"{package.describe()} is installed"
                properties = {"package": name, "version": package.version}
                return LeafResult(Outcome.PASS, detail, where, evidence, None, properties)
        if not value.databases:
            detail = f"no package database found ({value.manager_source})"
            return LeafResult(Outcome.UNKNOWN, detail, None, evidence)
        if not value.complete:
            detail = f"{_none(self.names, 'listed')}, but {value.describe_databases()}"
            return LeafResult(Outcome.UNKNOWN, detail, value.databases[0].location, evidence)
        detail = f"{_none(self.names, 'installed')} ({value.describe_databases()})"
        return LeafResult(Outcome.FAIL, detail, value.databases[0].location, evidence)


@dataclass(frozen=True, slots=True)
class ServiceEnabled:
    """``service_enabled: {names: [ssh, sshd]}``: one of the services starts at boot.

    With systemd (the ``os`` fact's init system) a unit is enabled when a ``*.wants`` or
    ``*.requires`` link names it and it is not masked; a name without a type is a
    ``.service``. With OpenRC a service is enabled when a runlevel links it. Another or no
    init system makes the outcome unknown.
    """

    key: ClassVar[str] = "service_enabled"
    needs: ClassVar[tuple[FactId, ...]] = (SERVICES, OS)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("names", STRING, required=True, many=True, doc="service names, any one counts")
    )
    names: tuple[str, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Judge by the image's init system."""
        del subject
        services = facts.value(SERVICES)
        identity = facts.value(OS)
        if services is None or identity is None:
            return unknown(SERVICES, facts) if services is None else unknown(OS, facts)
        if identity.init is InitKind.SYSTEMD:
            return self._systemd(services)
        if identity.init is InitKind.OPENRC:
            return self._openrc(services)
        detail = f"init system {identity.init} ({identity.init_evidence}): services not read"
        return LeafResult(Outcome.UNKNOWN, detail)

    def _systemd(self, services: Services) -> LeafResult:
        units = tuple(unit_name(name) for name in self.names)
        masked = [services.masked[u] for u in units if u in services.masked]
        for unit in units:
            links = services.enabled.get(unit, ())
            if links and unit not in services.masked:
                detail = f"{unit} is enabled ({links[0].path})"
                return LeafResult(Outcome.PASS, detail, links[0], tuple(x.path for x in links))
        if masked:
            where = masked[0]
            return LeafResult(Outcome.FAIL, f"{where.path} masks the unit", where)
        found = [services.units[u] for u in units if u in services.units]
        where = found[0] if found else Location("/")
        state = "installed but not enabled" if found else "not installed"
        detail = f"{_none(units, 'enabled')}: no *.wants or *.requires link ({state})"
        return LeafResult(Outcome.FAIL, detail, where)

    def _openrc(self, services: Services) -> LeafResult:
        for name in self.names:
            links = services.runlevels.get(name, ())
            if links:
                levels = ", ".join(link.path.split("/")[-2] for link in links)
                return LeafResult(Outcome.PASS, f"{name} starts in runlevel {levels}", links[0])
        detail = f"{_none(self.names, 'in any runlevel')} (/etc/runlevels/*/)"
        return LeafResult(Outcome.FAIL, detail, Location("/etc/runlevels"))
