"""Root file systems as a directory or as a single archive (file or stdin)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from analyzer.errors import SourceError
from analyzer.model import Notification, TargetInfo, TargetKind
from analyzer.sources.archive import ArchiveReader
from analyzer.sources.directory import DirectorySource
from analyzer.sources.entry import LayerInfo, LayerStream


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

    def facts(self) -> Mapping[str, Any]:
        """Nothing beyond the tree."""
        return {}

    def close(self) -> None:
        """Nothing to release."""


class ArchiveRootfs:
    """A rootfs archive (tar in any compression, or cpio), from a file or stdin (``-``)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._name = "<stdin>" if path == "-" else path
        self.notifications: list[Notification] = []
        if path == "-":
            self._fd = os.dup(sys.stdin.fileno())
        else:
            try:
                self._fd = os.open(path, os.O_RDONLY)
            except OSError as exc:
                raise SourceError(f"{path}: cannot open: {exc.strerror}") from exc

    def layers(self) -> Iterator[LayerStream]:
        """The archive as one layer."""
        reader = ArchiveReader(self._fd, self._name)
        yield LayerStream(LayerInfo("rootfs", f"archive {self._name}"), reader.entries())

    def target(self) -> TargetInfo:
        """A rootfs named by its path."""
        return TargetInfo(self._name, "tar", TargetKind.ROOTFS)

    def facts(self) -> Mapping[str, Any]:
        """Nothing beyond the tree."""
        return {}

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)
