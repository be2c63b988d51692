"""The artefact's kind (rootfs, container, VM) as a fact rules can test."""

from __future__ import annotations

from typing import Any

from analyzer.analyzers.text import CapturePattern
from analyzer.collectors.base import CollectContext
from analyzer.facts import Fact, Facts
from analyzer.model import Notification


class TargetCollector:
    """Produces the ``target`` fact (a :class:`~analyzer.model.TargetKind`)."""

    name = "target"
    provides = ("target",)
    requires: tuple[str, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """The target kind, as the source detected it."""
        del facts, notes
        return {"target": Fact.present(ctx.target.kind)}


class DiskLayoutCollector:
    """Produces the ``disk`` fact: image format, partitions and file systems of a VM disk."""

    name = "disk"
    provides = ("disk",)
    requires: tuple[str, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """The layout the disk source read, for VM targets only."""
        del facts, notes
        layout = ctx.source_facts.get("disk")
        if layout is None:
            return {"disk": Fact.absent("not a VM disk image")}
        return {"disk": Fact.present(layout)}
