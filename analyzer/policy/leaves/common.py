"""Leaves about the artefact as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import TARGET
from analyzer.model import YAML, FactId, Facts, Outcome, TargetKind
from analyzer.policy.leaf import LeafResult, Subject, unknown


@dataclass(frozen=True, slots=True)
class TargetIs:
    """``target: [container]``: passes when the artefact is one of the given kinds."""

    key: ClassVar[str] = "target"
    needs: ClassVar[tuple[FactId, ...]] = (TARGET,)
    subjects: ClassVar[tuple[str, ...]] = ("image", "kernel", "binary", "file")
    kinds: tuple[TargetKind, ...]

    @classmethod
    def parse(cls, params: YAML) -> TargetIs:
        """A list of target kinds (rootfs, container, vm)."""
        if isinstance(params, str):
            params = [params]
        if not isinstance(params, list) or not params:
            raise ValueError("expects a list of target kinds: rootfs, container, vm")
        names = [kind.value for kind in TargetKind]
        bad = [p for p in params if p not in names]
        if bad:
            raise ValueError(f"unknown target kind {bad[0]!r} ({', '.join(names)})")
        return cls(tuple(TargetKind(p) for p in params))

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Compare the target fact."""
        del subject
        kind = facts.value(TARGET)
        if kind is None:
            return unknown(TARGET, facts)
        outcome = Outcome.PASS if kind in self.kinds else Outcome.FAIL
        return LeafResult(outcome, f"the artefact is a {kind.value}")
