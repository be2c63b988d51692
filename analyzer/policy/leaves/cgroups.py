"""Leaves about cgroups and AppArmor on one kernel, from kconfig and the command line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import KERNELS
from analyzer.kernel.cgroups import CONTROLLERS, CgroupMode, disabled_by
from analyzer.kernel.kconfig import PREFIX
from analyzer.model import FactId, Facts, Level, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind
from analyzer.policy.leaves.kernelbase import (
    KERNEL_SUBJECTS,
    kernel_of,
    no_config,
    symbol_location,
)
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import BOOL, STRING, member_of

#: The hierarchy a rule can ask for, as a :class:`CgroupMode`.
HIERARCHY = member_of(CgroupMode, "a cgroup hierarchy")


@dataclass(frozen=True, slots=True)
class Cgroup:
    """``cgroup: {hierarchy: v2}`` or ``cgroup: {controller: memory}``.

    The hierarchy comes from the command line, OpenRC and the systemd version (see
    :mod:`analyzer.kernel.cgroups`); a controller needs its kconfig symbols, a recent enough
    kernel where cgroup v2 provides it natively, and no ``cgroup_disable=`` naming it.
    """

    key: ClassVar[str] = "cgroup"
    needs: ClassVar[tuple[FactId, ...]] = (KERNELS,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = KERNEL_SUBJECTS
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("hierarchy", HIERARCHY, choices=(CgroupMode.V2,)),
        Param("controller", STRING, choices=tuple(CONTROLLERS)),
        one_of=(("hierarchy", "controller"),),
    )
    hierarchy: CgroupMode | None = None
    controller: str | None = None

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Dispatch on the parameter given."""
        del facts
        if self.controller is not None:
            return self._controller(subject, self.controller)
        return self._hierarchy(subject)

    def _hierarchy(self, subject: Subject) -> LeafResult:
        kernel = kernel_of(subject)
        config = kernel.config
        if config is not None and not config.enabled("CGROUPS"):
            found = config.get("CGROUPS")
            return LeafResult(
                Outcome.FAIL,
                "the kernel has no cgroup support (CONFIG_CGROUPS)",
                symbol_location(kernel, found),
                (kernel.config_evidence(),),
            )
        found_h = kernel.cgroup
        evidence = (found_h.detail,)
        if found_h.mode is CgroupMode.V2:
            return LeafResult(
                Outcome.PASS, f"cgroup v2: {found_h.detail}", found_h.location, evidence
            )
        if found_h.mode is CgroupMode.UNKNOWN:
            return LeafResult(Outcome.UNKNOWN, found_h.detail, found_h.location, evidence)
        level = None if found_h.certain else Level.WARNING
        return LeafResult(
            Outcome.FAIL,
            f"cgroup {found_h.mode}: {found_h.detail}",
            found_h.location,
            evidence,
            level,
        )

    def _controller(self, subject: Subject, name: str) -> LeafResult:
        kernel = kernel_of(subject)
        spec = CONTROLLERS[name]
        disabled = disabled_by(kernel.cmdline, spec.disable_names)
        if disabled is not None:
            return LeafResult(
                Outcome.FAIL,
                f"{disabled.text()} on the kernel command line turns the {name} controller off",
                disabled.location,
                (f"{disabled.text()} from {disabled.path}:{disabled.line}",),
            )
        config = kernel.config
        if config is None:
            return no_config(kernel)
        evidence = (kernel.config_evidence(),)
        for symbol in spec.symbols:
            found = config.get(symbol)
            if found is None or not found.enabled:
                state = found.describe() if found else f"{PREFIX}{symbol} is absent"
                return LeafResult(
                    Outcome.FAIL,
                    f"{state}: no {name} controller",
                    symbol_location(kernel, found),
                    evidence,
                )
        version = kernel.version
        if spec.since is not None and version is not None and version[:2] < spec.since:
            wanted = ".".join(map(str, spec.since))
            return LeafResult(
                Outcome.FAIL,
                f"cgroup v2 provides {name} from Linux {wanted}; this is {kernel.release}",
                kernel.location,
                evidence,
            )
        found = config.get(spec.symbols[0])
        how = f" ({spec.note})" if spec.note else ""
        detail = f"{name} available{how}: {found.describe() if found else ''}"
        return LeafResult(Outcome.PASS, detail, symbol_location(kernel, found), evidence)


@dataclass(frozen=True, slots=True)
class AppArmor:
    """``apparmor: {enabled: true}``: AppArmor would be enabled (or disabled) at boot."""

    key: ClassVar[str] = "apparmor"
    needs: ClassVar[tuple[FactId, ...]] = (KERNELS,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = KERNEL_SUBJECTS
    spec: ClassVar[ParamSpec] = ParamSpec(Param("enabled", BOOL))
    enabled: bool = True

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Compare the kernel's AppArmor state."""
        del facts
        kernel = kernel_of(subject)
        state = kernel.apparmor
        if state is None:
            return no_config(kernel)
        word = "enabled" if state.enabled else "disabled"
        outcome = Outcome.PASS if state.enabled == self.enabled else Outcome.FAIL
        return LeafResult(
            outcome, f"AppArmor {word}: {state.detail}", state.location, (state.detail,)
        )
