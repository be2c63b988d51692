"""The collector protocol: query the tree (never the host) and produce named facts.

Collectors run in the order of :data:`analyzer.collectors.COLLECTORS`; a collector may read
facts produced by those before it (``requires``). A collector that raises is isolated: its
facts become unknown and the run records a notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from analyzer.facts import Fact, Facts
from analyzer.model import Notification, TargetInfo, TargetKind
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import Tree


@dataclass(frozen=True)
class CollectContext:
    """What a collector may look at: the tree, the target's identity, and source metadata.

    ``source_facts`` carries what the source itself knows (image config for container images,
    partitions for disks), keyed by name.
    """

    tree: Tree
    target: TargetInfo
    source_facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_container(self) -> bool:
        """True for container images, whose kernel and /etc/hosts belong to the host."""
        return self.target.kind is TargetKind.CONTAINER


class Collector(Protocol):
    """Produces facts from the tree."""

    @property
    def name(self) -> str:
        """Short name, used in notifications."""

    @property
    def provides(self) -> tuple[str, ...]:
        """Names of the facts this collector returns (always all of them)."""

    @property
    def requires(self) -> tuple[str, ...]:
        """Facts from earlier collectors that this one reads."""

    @property
    def capture(self) -> tuple[CapturePattern, ...]:
        """Files whose content the pass must keep for this collector."""

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """Return every fact in ``provides``; append anything skipped to ``notes``."""
