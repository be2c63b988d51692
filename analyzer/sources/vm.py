"""VM disk images as a :class:`~analyzer.sources.base.Source` (the reader is in ``disk/``)."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.facts.source import SourceFacts
from analyzer.model import LayerInfo, Notification, TargetInfo, TargetKind
from analyzer.sources.disk import DiskSource
from analyzer.stream.entry import LayerStream


class VmDisk:
    """A disk image whose mounted file systems form one tree; the target of a VM."""

    def __init__(self, path: str, backing_files: tuple[str, ...] = ()) -> None:
        self._path = path
        self._disk = DiskSource(path, backing_files)
        self._layers: list[LayerInfo] = []

    @property
    def notifications(self) -> list[Notification]:
        """Partitions and entries that could not be read."""
        return self._disk.notifications

    def layers(self) -> Iterator[LayerStream]:
        """The mounted file systems, root first."""
        for layer in self._disk.layers():
            self._layers.append(layer.info)
            yield layer

    def target(self) -> TargetInfo:
        """The disk, its format and its mounted file systems."""
        facts = self._disk.facts()
        properties = {
            "format": facts.get("format"),
            "virtual_size": facts.get("virtual_size"),
            "partition_table": facts.get("partition_table"),
            "root": facts.get("root"),
        }
        return TargetInfo(self._path, "disk", TargetKind.VM, tuple(self._layers), properties)

    def facts(self) -> SourceFacts:
        """Partitions and file systems."""
        return SourceFacts(disk=self._disk.facts())

    def close(self) -> None:
        """Close the image."""
        self._disk.close()
