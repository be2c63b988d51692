"""The collector protocol: query the tree (never the host) and produce typed facts.

Collectors run in the order of :data:`analyzer.collectors.COLLECTORS`; a collector may read
facts produced by those before it (``requires``) and writes its own with the keys of
:mod:`analyzer.facts`. A collector that raises is isolated: its facts become unknown and the
run records a notification.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from analyzer.facts.source import SourceFacts
from analyzer.model import FactId, Facts, FactStore, Notification, TargetInfo, TargetKind
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import Tree


@dataclass(frozen=True, slots=True)
class CollectOptions:
    """How the user asked collectors to work.

    ``all_binaries`` puts every loadable ELF file in linkage scope, not only the programs
    found in the PATH directories and the privileged ones.
    """

    all_binaries: bool = False


@dataclass(frozen=True)
class CollectContext:
    """What a collector may look at: the tree, the target's identity, source metadata, options.

    ``source`` carries what the source itself knows (image config for container images, the
    layout of disks); only the collectors of :mod:`analyzer.collectors.target` read it, every
    other collector reads their facts.
    ``capture`` names the files whose content the selected rule packs declared (kept during
    the pass up to each cap).
    """

    tree: Tree
    target: TargetInfo
    source: SourceFacts = field(default_factory=SourceFacts)
    options: CollectOptions = field(default_factory=CollectOptions)
    capture: tuple[CapturePattern, ...] = ()

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
    def provides(self) -> tuple[FactId, ...]:
        """Keys of the facts this collector returns (always all of them)."""

    @property
    def requires(self) -> tuple[FactId, ...]:
        """Facts from earlier collectors that this one reads."""

    @property
    def capture(self) -> tuple[CapturePattern, ...]:
        """Files whose content the pass must keep for this collector."""

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Return every fact in ``provides``; append anything skipped to ``notes``."""
