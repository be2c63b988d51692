"""Every check leaf a rule pack may use, in one explicit tuple."""

from __future__ import annotations

from analyzer.policy.leaf import LeafType
from analyzer.policy.leaves.common import TargetIs
from analyzer.policy.leaves.names import LocalhostResolves

LEAVES: tuple[LeafType, ...] = (
    TargetIs,
    LocalhostResolves,
)
