"""The source protocol: what the pipeline gets from any input, whatever its kind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from analyzer.errors import SourceError
from analyzer.facts.source import SourceFacts
from analyzer.model import Notification, TargetInfo
from analyzer.stream.entry import LayerStream


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Options some sources take."""

    platform: str | None = None
    #: Host files a disk image may use as backing files or extents besides its own directory's.
    backing_files: tuple[str, ...] = ()


class Source(Protocol):
    """An opened input.

    ``layers()`` is iterated once, in order. ``target()`` and ``facts()`` may be asked after the
    layers were read (a container image's layer list, a disk's partitions). ``notifications``
    collects whatever the source skipped or could not read.
    """

    @property
    def notifications(self) -> list[Notification]:
        """Problems met while reading, for the report."""

    def layers(self) -> Iterator[LayerStream]:
        """The layers, lowest first."""

    def target(self) -> TargetInfo:
        """Identity of the artefact."""

    def facts(self) -> SourceFacts:
        """What the source itself knows (image config, partitions, ...)."""

    def close(self) -> None:
        """Release files and handles; every data reader handed out refuses to read after it.

        The pipeline closes a source only once the collectors and rules are done, since they
        may read content the pass did not keep; a later read raises
        :class:`~analyzer.errors.ClosedSourceError`.
        """


def open_read_only(path: str) -> int:
    """A descriptor of the host file ``path``, opened read-only (one-line error if it cannot be)."""
    try:
        return os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise SourceError(f"{path}: cannot open: {exc.strerror}") from exc
