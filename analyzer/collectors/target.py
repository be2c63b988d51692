"""What the source itself knows, as facts: the artefact's kind, its image config, its disk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzer.collectors.base import CollectContext
from analyzer.facts import Fact, Facts
from analyzer.model import Level, Notification, TargetKind
from analyzer.stream.capture import CapturePattern


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


@dataclass(frozen=True)
class SourceFactCollector:
    """Turns one of the source's own facts into a fact, for the kind of target that has it.

    Present for that target kind, absent (with ``absent_reason``) for the others, and unknown
    with a warning when a target of that kind came without it.
    """

    name: str
    kind: TargetKind
    absent_reason: str
    requires: tuple[str, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    @property
    def provides(self) -> tuple[str, ...]:
        """The one fact, named like the collector."""
        return (self.name,)

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """The source's value for this fact, if the target is of the right kind."""
        del facts
        if ctx.target.kind is not self.kind:
            return {self.name: Fact.absent(self.absent_reason)}
        value = ctx.source_facts.get(self.name)
        if value is None:
            message = f"{self.kind.value} without a readable {self.name.replace('_', ' ')}"
            notes.append(Notification(Level.WARNING, f"collector.{self.name}", message))
            return {self.name: Fact.unknown(f"the {self.name.replace('_', ' ')} was not read")}
        return {self.name: Fact.present(value)}


#: The container image configuration (platform, ``Env`` PATH, ``User``, history...).
IMAGE_CONFIG = SourceFactCollector("image_config", TargetKind.CONTAINER, "not a container image")
#: The disk layout of a VM image (format, partitions, file systems).
DISK_LAYOUT = SourceFactCollector("disk", TargetKind.VM, "not a VM disk image")
