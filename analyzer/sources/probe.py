"""What detection knows of a target, read once: its kind on the host, size, first and last bytes.

:func:`analyzer.sources.open_source` opens a bare path once into a :class:`Probe` and hands
that same probe to every detector of :data:`analyzer.sources.DETECTORS`. The probe holds the
first :data:`HEAD_BYTES` bytes (enough for every signature a detector looks for: partition
tables at 512- and 4096-byte sectors, a btrfs superblock at 64 KiB, a ZFS uberblock ring at
128-256 KiB) and the last :data:`TAIL_BYTES` (a fixed VHD's footer). It reads like a disk
device, from those bytes where it can; a detector that must look further (the member names of
a plain tar) reads through :meth:`Probe.rewound`, the same open file.
"""

from __future__ import annotations

import os
from types import TracebackType

from analyzer.errors import SourceError

#: Bytes read from the start of a file.
HEAD_BYTES = 256 << 10
#: Bytes read from the end of a file.
TAIL_BYTES = 512


class Probe:
    """A target's first and last bytes, read once, and the open file they came from."""

    def __init__(
        self,
        path: str,
        head: bytes = b"",
        *,
        size: int | None = None,
        tail: bytes = b"",
        is_dir: bool = False,
        fd: int | None = None,
    ) -> None:
        """A probe over bytes already read (use :meth:`open` for a host path)."""
        self.path = path
        self.head = head
        self.size = len(head) if size is None else size
        self.tail = tail or head[-TAIL_BYTES:]
        self.is_dir = is_dir
        self._fd = fd

    @classmethod
    def open(cls, path: str) -> Probe:
        """Look at ``path``: a directory, or a regular file whose head and tail are read now.

        Anything else (a pipe, a device) is probed with no bytes.
        """
        if os.path.isdir(path):
            return cls(path, is_dir=True)
        if not os.path.isfile(path):
            return cls(path)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise SourceError(f"{path}: cannot read: {exc.strerror}") from exc
        try:
            size = os.fstat(fd).st_size
            head = os.pread(fd, HEAD_BYTES, 0)
            at = max(0, size - TAIL_BYTES)
            tail = head[at:] if size <= len(head) else os.pread(fd, size - at, at)
        except OSError as exc:
            os.close(fd)
            raise SourceError(f"{path}: cannot read: {exc.strerror}") from exc
        return cls(path, head, size=size, tail=tail, fd=fd)

    @property
    def is_file(self) -> bool:
        """True for a regular file (its bytes were read)."""
        return self._fd is not None

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset``, as a disk device reads (short at the end)."""
        if size <= 0 or offset < 0 or offset >= self.size:
            return b""
        end = min(offset + size, self.size)
        if end <= len(self.head):
            return self.head[offset:end]
        tail_start = self.size - len(self.tail)
        if offset >= tail_start:
            return self.tail[offset - tail_start : end - tail_start]
        if self._fd is None:
            return self.head[offset:end]
        try:
            return os.pread(self._fd, end - offset, offset)
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read: {exc.strerror}") from exc

    def rewound(self) -> int:
        """The open file's descriptor, at offset 0 (for readers that stream it)."""
        if self._fd is None:
            raise SourceError(f"{self.path}: not a regular file")
        try:
            os.lseek(self._fd, 0, os.SEEK_SET)
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read: {exc.strerror}") from exc
        return self._fd

    def close(self) -> None:
        """Close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Probe:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
