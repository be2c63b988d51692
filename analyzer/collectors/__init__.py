"""Every collector, in run order (a collector may read the facts of those before it)."""

from __future__ import annotations

from analyzer.collectors.base import Collector
from analyzer.collectors.names import NameResolutionCollector
from analyzer.collectors.target import TargetCollector

COLLECTORS: tuple[Collector, ...] = (
    TargetCollector(),
    NameResolutionCollector(),
)
