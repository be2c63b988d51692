"""Root file systems as a directory, or as a single archive read once (a file, stdin, a stream)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator

from analyzer.facts.source import SourceFacts
from analyzer.model import LayerInfo, Level, Notification, TargetInfo, TargetKind
from analyzer.sources.base import open_read_only
from analyzer.sources.directory import DirectorySource
from analyzer.stream.entry import Blocks, Entry, LayerStream


class DirectoryRootfs:
    """A rootfs directory on the host."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._source = DirectorySource(path)

    @property
    def notifications(self) -> list[Notification]:
        """Unreadable entries."""
        return self._source.notifications

    def layers(self) -> Iterator[LayerStream]:
        """The directory as one layer."""
        return self._source.layers()

    def target(self) -> TargetInfo:
        """A rootfs named by its path."""
        return TargetInfo(self._path, "dir", TargetKind.ROOTFS)

    def facts(self) -> SourceFacts:
        """Nothing beyond the tree."""
        return SourceFacts()

    def close(self) -> None:
        """Refuse later reads of the directory's files."""
        self._source.close()


class StreamRootfs:
    """A root file system archive read once, as the entries of one layer.

    ``notes`` is where the archive reader reports (shared, so its warnings reach the run). An
    archive that holds no entry at all is valid, and says so in a notification.
    """

    def __init__(
        self,
        label: str,
        entries: Iterator[tuple[Entry, Blocks]],
        notes: list[Notification] | None = None,
    ) -> None:
        self._label = label
        self._entries = entries
        self.notifications: list[Notification] = notes if notes is not None else []

    def layers(self) -> Iterator[LayerStream]:
        """The stream as one layer."""
        yield LayerStream(LayerInfo("rootfs", f"archive {self._label}"), self._counted())

    def _counted(self) -> Iterator[tuple[Entry, Blocks]]:
        count = 0
        for count, item in enumerate(self._entries, start=1):  # noqa: B007 - counted after
            yield item
        if count == 0:
            self.notifications.append(
                Notification(
                    Level.WARNING,
                    "source.empty-archive",
                    f"{self._label}: the archive holds no entries; there was nothing to check",
                )
            )

    def target(self) -> TargetInfo:
        """A rootfs named by its label."""
        return TargetInfo(self._label, "tar", TargetKind.ROOTFS)

    def facts(self) -> SourceFacts:
        """Nothing beyond the tree."""
        return SourceFacts()

    def close(self) -> None:
        """Stop reading (frees the archive handle)."""
        close: Callable[[], None] | None = getattr(self._entries, "close", None)
        if close is not None:
            close()


class ArchiveRootfs(StreamRootfs):
    """A rootfs archive (tar in any compression, or cpio), from a file or stdin (``-``)."""

    def __init__(self, path: str) -> None:
        if path == "-":
            self._fd = os.dup(sys.stdin.fileno())
        else:
            self._fd = open_read_only(path)
        # libarchive is loaded when an archive is opened, not for every scan
        from analyzer.sources.archive import ArchiveReader

        label = "<stdin>" if path == "-" else path
        notes: list[Notification] = []
        super().__init__(label, ArchiveReader(self._fd, label, notes=notes).entries(), notes)

    def close(self) -> None:
        """Stop reading and close the file."""
        super().close()
        os.close(self._fd)
