"""rpm's Berkeley DB ``Packages`` file: a hash database whose values are rpm header blobs.

Only what rpm writes is read: a hash database (metadata magic ``0x061561`` in either byte
order), unencrypted and without page checksums. Every page is looked at once, in order: on
hash pages (``P_HASH``, ``P_HASH_UNSORTED``) the items alternate key, value; a value is on the
page (``H_KEYDATA``) or, when large, in a chain of overflow pages (``H_OFFPAGE``). rpm's
record 0 (a 4-byte counter) and any value that is not a header are skipped by the caller.
Page numbers, offsets, lengths and chains are checked against the file; anything out of range
is a :class:`BdbError`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from analyzer.errors import ImgauditError

HASH_MAGIC = 0x061561
PAGE_HEADER = 26
P_HASH_UNSORTED, P_OVERFLOW, P_HASH = 2, 7, 13
H_KEYDATA, H_OFFPAGE = 1, 3
META_CHECKSUM = 0x01
#: Largest value read (rpm's own header size limit).
MAX_VALUE = 0x0FFFFFFF
PAGE_SIZES = frozenset(1 << n for n in range(9, 17))


class BdbError(ImgauditError):
    """A file that is not a Berkeley DB hash database this reader can walk."""


def _layout(data: bytes) -> tuple[str, int]:
    """Byte order and page size, from the metadata page."""
    if len(data) < 512:
        raise BdbError(f"{len(data)} bytes: shorter than a metadata page")
    for order in ("<", ">"):
        magic, _version, page_size = struct.unpack_from(order + "III", data, 12)
        if magic == HASH_MAGIC:
            break
    else:
        raise BdbError("not a Berkeley DB hash database")
    if page_size not in PAGE_SIZES or len(data) % page_size:
        raise BdbError(f"page size {page_size} does not fit a file of {len(data)} bytes")
    encrypt, _kind, flags = data[24], data[25], data[26]
    if encrypt or flags & META_CHECKSUM:
        raise BdbError("encrypted or checksummed pages are not read")
    return order, page_size


def _overflow(data: bytes, order: str, size: int, first: int, length: int) -> bytes:
    if length > MAX_VALUE:
        raise BdbError(f"overflow item of {length} bytes")
    pages = len(data) // size
    parts: list[bytes] = []
    seen: set[int] = set()
    page, total = first, 0
    while total < length:
        if page in seen or not 0 < page < pages:
            raise BdbError(f"overflow chain reaches page {page} of {pages}")
        seen.add(page)
        base = page * size
        following, _, used, _, kind = struct.unpack_from(order + "IHHBB", data, base + 16)
        if kind != P_OVERFLOW or used > size - PAGE_HEADER:
            raise BdbError(f"page {page} is not an overflow page")
        parts.append(data[base + PAGE_HEADER : base + PAGE_HEADER + used])
        total += used
        page = following
    return b"".join(parts)[:length]


def _items(data: bytes, order: str, size: int, base: int, count: int) -> Iterator[bytes | None]:
    """Each item of one hash page: its bytes, or ``None`` for a kind rpm does not write."""
    offsets = struct.unpack_from(f"{order}{count}H", data, base + PAGE_HEADER)
    for index, offset in enumerate(offsets):
        end = size if index == 0 else offsets[index - 1]
        if not PAGE_HEADER + 2 * count <= offset < end <= size:
            raise BdbError(f"page {base // size}: item {index} at {offset} outside the page")
        kind = data[base + offset]
        if kind == H_KEYDATA:
            yield data[base + offset + 1 : base + end]
        elif kind == H_OFFPAGE and end - offset >= 12:
            first, length = struct.unpack_from(order + "II", data, base + offset + 4)
            yield _overflow(data, order, size, first, length)
        else:
            yield None


def values(data: bytes) -> Iterator[bytes]:
    """Every value stored in the database, page by page."""
    order, size = _layout(data)
    for page in range(1, len(data) // size):
        base = page * size
        count, _, _, kind = struct.unpack_from(order + "HHBB", data, base + 20)
        if kind not in (P_HASH, P_HASH_UNSORTED):
            continue
        if PAGE_HEADER + 2 * count > size:
            raise BdbError(f"page {page}: {count} items cannot fit")
        items = list(_items(data, order, size, base, count))
        for value in items[1::2]:
            if value is not None:
                yield value
