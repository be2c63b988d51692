"""Leaves about the artefact as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import TARGET
from analyzer.model import FactId, Facts, Outcome, TargetKind
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, unknown
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import member_of

#: A target kind's name (``rootfs``, ``container``, ``vm``) as a :class:`TargetKind`.
TARGET_KIND = member_of(TargetKind, "a target kind")


@dataclass(frozen=True, slots=True)
class TargetIs:
    """``target: [container]``: passes when the artefact is one of the given kinds."""

    key: ClassVar[str] = "target"
    needs: ClassVar[tuple[FactId, ...]] = (TARGET,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = tuple(SubjectKind)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param(
            "kinds",
            TARGET_KIND,
            required=True,
            many=True,
            choices=tuple(k.value for k in TargetKind),
        ),
        scalar="kinds",
    )
    kinds: tuple[TargetKind, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Compare the target fact."""
        del subject
        kind = facts.value(TARGET)
        if kind is None:
            return unknown(TARGET, facts)
        outcome = Outcome.PASS if kind in self.kinds else Outcome.FAIL
        return LeafResult(outcome, f"the artefact is a {kind.value}")
