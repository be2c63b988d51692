"""What the source itself knows, as facts: the artefact's kind, its image config, its disk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from analyzer.collectors.base import CollectContext
from analyzer.facts import DISK, IMAGE_CONFIG, TARGET
from analyzer.facts.source import SourceFacts
from analyzer.model import (
    Fact,
    FactId,
    FactKey,
    Facts,
    FactStore,
    Level,
    Notification,
    TargetKind,
)
from analyzer.stream.capture import CapturePattern

T = TypeVar("T")


class TargetCollector:
    """Produces the ``target`` fact (a :class:`~analyzer.model.TargetKind`)."""

    name = "target"
    provides: tuple[FactId, ...] = (TARGET,)
    requires: tuple[FactId, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """The target kind, as the source detected it."""
        del facts, notes
        return FactStore.one(TARGET, Fact.present(ctx.target.kind))


@dataclass(frozen=True)
class SourceFactCollector(Generic[T]):
    """Turns one of the source's own facts into a fact, for the kind of target that has it.

    Present for that target kind, absent (with ``absent_reason``) for the others, and unknown
    with a warning when a target of that kind came without it.
    """

    key: FactKey[T]
    kind: TargetKind
    absent_reason: str
    read: Callable[[SourceFacts], T | None]
    requires: tuple[FactId, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    @property
    def name(self) -> str:
        """Named like its fact."""
        return self.key.name

    @property
    def provides(self) -> tuple[FactId, ...]:
        """The one fact."""
        return (self.key,)

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """The source's value for this fact, if the target is of the right kind."""
        del facts
        if ctx.target.kind is not self.kind:
            return FactStore.one(self.key, Fact.absent(self.absent_reason))
        value = self.read(ctx.source)
        if value is None:
            words = self.name.replace("_", " ")
            message = f"{self.kind.value} without a readable {words}"
            notes.append(Notification(Level.WARNING, f"collector.{self.name}", message))
            return FactStore.one(self.key, Fact.unknown(f"the {words} was not read"))
        return FactStore.one(self.key, Fact.present(value))


#: The container image configuration (platform, ``Env`` PATH, ``User``, history...).
IMAGE_CONFIG_COLLECTOR = SourceFactCollector(
    IMAGE_CONFIG, TargetKind.CONTAINER, "not a container image", lambda s: s.image_config
)
#: The disk layout of a VM image (format, partitions, file systems).
DISK_COLLECTOR = SourceFactCollector(DISK, TargetKind.VM, "not a VM disk image", lambda s: s.disk)
