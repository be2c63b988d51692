"""Content digests: parsing ``sha256:<hex>``, hashing while reading, verifying.

A digest also names blob files (``blobs/sha256/<hex>``), so it is validated strictly before it
is ever used to build a path: only ``sha256`` with exactly 64 lowercase hex digits is accepted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from analyzer.errors import IntegrityError, SourceError

_SHA256 = re.compile(r"^sha256:([0-9a-f]{64})$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


def parse_digest(value: object, what: str) -> str:
    """The 64-hex part of a ``sha256:<hex>`` digest; anything else is a :class:`SourceError`."""
    match = _SHA256.match(value) if isinstance(value, str) else None
    if match is None:
        raise SourceError(f"{what}: unsupported or malformed digest {value!r}")
    return match.group(1)


def hex_name(name: str) -> str | None:
    """The digest a blob file name carries (``blobs/sha256/<hex>``, ``<hex>.tar``), if any."""
    base = name.rsplit("/", 1)[-1]
    if name.startswith("blobs/sha256/") and _HEX.match(base):
        return base
    return None


def is_hex(value: str) -> bool:
    """True for a bare 64-digit lowercase hex string."""
    return bool(_HEX.match(value))


@dataclass
class Window:
    """``size`` bytes of an open file from ``offset``, read with ``pread`` and hashed as read.

    The file descriptor belongs to the caller. ``read`` never returns bytes beyond the window,
    whatever the content inside claims about its own length.
    """

    fd: int
    offset: int
    size: int
    name: str
    position: int = 0

    def __post_init__(self) -> None:
        self._hash = hashlib.sha256()

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes (empty at the end of the window)."""
        count = min(count, self.size - self.position)
        if count <= 0:
            return b""
        try:
            data = os.pread(self.fd, count, self.offset + self.position)
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read: {exc.strerror}") from exc
        if not data:
            raise SourceError(f"{self.name}: truncated ({self.position} of {self.size} bytes)")
        self.position += len(data)
        self._hash.update(data)
        return data

    def peek(self, count: int) -> bytes:
        """The first ``count`` bytes of the window, without reading (or hashing) them."""
        try:
            return os.pread(self.fd, min(count, self.size), self.offset)
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read: {exc.strerror}") from exc

    def reread(self) -> Callable[[int], bytes]:
        """A read function over the same bytes from their start, hashed apart from this one."""
        return dataclasses.replace(self, position=0).read

    def drain(self, block: int = 1 << 20) -> None:
        """Read (and hash) whatever is left of the window."""
        while self.read(block):
            pass

    def hexdigest(self) -> str:
        """sha256 of the bytes read so far."""
        return self._hash.hexdigest()


def verify(window: Window, expected: str | None) -> None:
    """Drain ``window`` and compare its sha256 with ``expected`` (hex); ``None`` checks nothing."""
    window.drain()
    if expected is not None and window.hexdigest() != expected:
        raise IntegrityError(
            f"{window.name}: digest mismatch: expected sha256:{expected},"
            f" content hashes to sha256:{window.hexdigest()}"
        )
