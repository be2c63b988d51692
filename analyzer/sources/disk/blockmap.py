"""One read loop for the block-mapped image formats: qcow2, vmdk sparse extents, vhd, vhdx.

Each format answers one question, :meth:`BlockMapped.locate`: where do the bytes from this
virtual offset to the end of its cluster, grain or block live? In the image file at a host
offset, nowhere (they read as zeros), or in bytes the format makes itself (a compressed
cluster, a backing file). :meth:`BlockMapped.read` walks those runs and reads runs that
follow each other in the image file with one call. The formats keep their own safety: map
tables read a page at a time (:class:`~analyzer.sources.disk.device.Table`), bounds checked
when a table is opened, backing files opened through the references a user allowed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from analyzer.errors import SourceError
from analyzer.sources.disk.device import Device


@dataclass(frozen=True, slots=True)
class Run:
    """Where the bytes from one virtual offset to the end of its block live.

    ``host`` is their offset in the image file (``-1``: not in the file); ``fill``, when set,
    makes the first ``n`` of them (a compressed cluster, a backing file); with neither they
    are zeros.
    """

    length: int
    host: int = -1
    fill: Callable[[int], bytes] | None = None


class BlockMapped(ABC):
    """A virtual disk whose blocks a map places in one image file."""

    #: The problem named when a data run reaches past the end of the image file.
    BEYOND: ClassVar[str]
    name: str
    _file: Device

    @property
    @abstractmethod
    def size(self) -> int:
        """Virtual disk size."""

    @abstractmethod
    def locate(self, offset: int) -> Run:
        """Where the bytes from ``offset`` (inside the disk) to the end of its block live."""

    def read(self, offset: int, size: int) -> bytes:
        """Virtual bytes; runs contiguous in the image file are read in one call."""
        end = min(offset + size, self.size)
        pos = max(0, offset)
        pieces: list[bytes] = []
        run = self.locate(pos) if pos < end else None
        while run is not None:
            length = min(run.length, end - pos)
            following: Run | None = None
            if run.host >= 0:
                while pos + length < end:
                    following = self.locate(pos + length)
                    if following.host != run.host + length:
                        break
                    length += min(following.length, end - pos - length)
                    following = None
                data = self._file.read(run.host, length)
                if len(data) != length:
                    raise SourceError(f"{self.name}: {self.BEYOND}")
            elif run.fill is not None:
                data = run.fill(length)
            else:
                data = bytes(length)
            pieces.append(data)
            pos += length
            if pos >= end:
                break
            run = following or self.locate(pos)
        return b"".join(pieces)
