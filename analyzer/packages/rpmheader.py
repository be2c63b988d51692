"""rpm header blobs, as the rpm database stores them (``headerExport`` without the magic).

Layout (big-endian): ``il`` (index entries) and ``dl`` (data bytes) as 32-bit integers, then
``il`` entries of 16 bytes (tag, type, offset into the data, count), then the data. Only the
tags needed here are decoded: name, version, release, epoch, arch and the file list
(``BASENAMES`` + ``DIRNAMES`` indexed by ``DIRINDEXES``, or the old ``OLDFILENAMES``). Every
offset and count is checked against the blob; anything out of range is a :class:`HeaderError`.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from analyzer.errors import ImgauditError
from analyzer.packages.model import Package, programs

#: rpm's own limits on a header (``hdrchkTags``, ``hdrchkData``).
MAX_TAGS = 0xFFFF
MAX_DATA = 0x0FFFFFFF

NAME, VERSION, RELEASE, EPOCH, ARCH = 1000, 1001, 1002, 1003, 1022
OLDFILENAMES, DIRINDEXES, BASENAMES, DIRNAMES = 1027, 1116, 1117, 1118
WANTED = frozenset({NAME, VERSION, RELEASE, EPOCH, ARCH, OLDFILENAMES, DIRINDEXES, BASENAMES,
                    DIRNAMES})  # fmt: skip

INT32, STRING, STRING_ARRAY, I18NSTRING = 4, 6, 8, 9

_Value = int | str | tuple[int, ...] | tuple[str, ...]


class HeaderError(ImgauditError):
    """A header blob that does not follow the format (always caught by the database reader)."""


def _strings(data: bytes, offset: int, count: int) -> tuple[str, ...]:
    found: list[str] = []
    for _ in range(count):
        end = data.find(b"\0", offset)
        if end < 0:
            raise HeaderError(f"string at {offset} runs past the data")
        found.append(data[offset:end].decode("utf-8", "replace"))
        offset = end + 1
    return tuple(found)


def _value(data: bytes, kind: int, offset: int, count: int) -> _Value | None:
    if offset < 0 or offset > len(data) or count < 1:
        raise HeaderError(f"entry at {offset} ({count} items) outside {len(data)} data bytes")
    if kind in (STRING, I18NSTRING):
        return _strings(data, offset, 1)[0]
    if kind == STRING_ARRAY:
        if count > len(data) - offset:
            raise HeaderError(f"{count} strings cannot fit in {len(data) - offset} bytes")
        return _strings(data, offset, count)
    if kind == INT32:
        if offset + 4 * count > len(data):
            raise HeaderError(f"{count} integers at {offset} run past the data")
        return struct.unpack_from(f">{count}i", data, offset)
    return None


def fields(blob: bytes) -> Mapping[int, _Value]:
    """The wanted tags of one header blob."""
    if len(blob) < 8:
        raise HeaderError(f"{len(blob)} bytes: shorter than a header")
    count, size = struct.unpack_from(">ii", blob)
    if not 0 < count <= MAX_TAGS or not 0 <= size <= MAX_DATA:
        raise HeaderError(f"implausible header: {count} tags, {size} data bytes")
    start = 8 + 16 * count
    if start + size > len(blob):
        raise HeaderError(f"header of {start + size} bytes in a blob of {len(blob)}")
    data = blob[start : start + size]
    found: dict[int, _Value] = {}
    for tag, kind, offset, items in struct.iter_unpack(">iIiI", blob[8:start]):
        if tag in WANTED and tag not in found:
            value = _value(data, kind, offset, items)
            if value is not None:
                found[tag] = value
    return found


def _text(found: Mapping[int, _Value], tag: int) -> str:
    value = found.get(tag)
    return value if isinstance(value, str) else ""


def files(found: Mapping[int, _Value]) -> list[str]:
    """Every path the header lists."""
    old = found.get(OLDFILENAMES)
    if isinstance(old, tuple):
        return [str(p) for p in old]
    bases, dirs, index = found.get(BASENAMES), found.get(DIRNAMES), found.get(DIRINDEXES)
    if not (isinstance(bases, tuple) and isinstance(dirs, tuple) and isinstance(index, tuple)):
        return []
    if len(index) != len(bases):
        raise HeaderError(f"{len(bases)} basenames but {len(index)} directory indexes")
    paths: list[str] = []
    for base, number in zip(bases, index, strict=True):
        if not isinstance(number, int) or not 0 <= number < len(dirs):
            raise HeaderError(f"directory index {number} of {len(dirs)}")
        paths.append(f"{dirs[number]}{base}")
    return paths


def package(blob: bytes) -> Package:
    """The package a header describes (``epoch:version-release``; the epoch when set)."""
    found = fields(blob)
    name = _text(found, NAME)
    if not name:
        raise HeaderError("header has no name")
    version = f"{_text(found, VERSION)}-{_text(found, RELEASE)}"
    epoch = found.get(EPOCH)
    if isinstance(epoch, tuple) and epoch:
        version = f"{epoch[0]}:{version}"
    return Package(name, version, _text(found, ARCH), programs(files(found)))
