"""LVM2 physical volumes and their linear logical volumes, from the on-disk text metadata.

A physical volume carries ``LABELONE`` / ``LVM2 001`` in one of its first four sectors; the
label points at a metadata area whose ring buffer holds the volume group's text metadata.
Logical volumes made of one or more ``striped`` segments with a stripe count of 1 (linear)
become devices; thin, RAID, mirrored, striped, cached and snapshot volumes are reported as
unsupported and skipped. Hidden component volumes are skipped silently.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.sources.disk.device import ConcatDevice, Device, check, read_exact

LABEL = b"LABELONE"
_TYPE = b"LVM2 001"
_MDA_MAGIC = b" LVM2 x[5A%r0N*>"
_SECTOR = 512
_MAX_METADATA = 16 << 20
_MAX_LOCATIONS = 16
_TOKEN = re.compile(r'\s*(?:#[^\n]*\n?|("(?:[^"\\]|\\.)*")|([\[\]{}=,])|([^\s\[\]{}=,#"]+))', re.S)

Value = str | int | list["Value"] | dict[str, "Value"]


@dataclass(frozen=True, slots=True)
class PhysicalVolume:
    """A physical volume: its UUID (dashes removed), the device it is on, and its metadata."""

    uuid: str
    device: Device
    metadata: str


@dataclass(frozen=True, slots=True)
class LogicalVolume:
    """A readable logical volume."""

    vg: str
    name: str
    uuid: str
    device: Device


def probe(device: Device, name: str) -> PhysicalVolume | None:
    """Return the physical volume on ``device``, or ``None`` when it has no LVM2 label."""
    for sector in range(4):
        raw = device.read(sector * _SECTOR, _SECTOR)
        if raw[:8] == LABEL and raw[24:32] == _TYPE:
            return _read_pv(device, name, raw)
    return None


def _locations(raw: bytes, at: int) -> tuple[list[tuple[int, int]], int]:
    found: list[tuple[int, int]] = []
    while at + 16 <= len(raw) and len(found) < _MAX_LOCATIONS:
        offset, size = struct.unpack_from("<QQ", raw, at)
        at += 16
        if offset == 0 and size == 0:
            break
        found.append((offset, size))
    return found, at


def _read_pv(device: Device, name: str, raw: bytes) -> PhysicalVolume:
    offset = struct.unpack_from("<I", raw, 20)[0]
    check(32 <= offset < _SECTOR - 40, name, "corrupt LVM label: bad header offset")
    header = raw[offset:]
    pv_uuid = header[:32].decode("ascii", "replace")
    _data, at = _locations(header, 40)
    areas, _ = _locations(header, at)
    for mda_offset, mda_size in areas:
        check(
            mda_offset + mda_size <= device.size,
            name,
            "corrupt LVM label: metadata area beyond end of device",
        )
        text = _read_metadata(device, name, mda_offset, mda_size)
        if text:
            return PhysicalVolume(pv_uuid, device, text)
    raise SourceError(f"{name}: LVM physical volume has no readable metadata")


def _read_metadata(device: Device, name: str, mda_offset: int, mda_size: int) -> str:
    header = read_exact(device, mda_offset, _SECTOR, "LVM metadata area header", name)
    check(header[4:20] == _MDA_MAGIC, name, "corrupt LVM metadata area: bad magic")
    offset, size = struct.unpack_from("<QQ", header, 40)
    if offset == 0 or size == 0:
        return ""
    check(
        size <= min(mda_size, _MAX_METADATA) and offset < mda_size,
        name,
        "corrupt LVM metadata area: metadata larger than its area",
    )
    first = min(size, mda_size - offset)
    data = device.read(mda_offset + offset, first)
    if first < size:
        data += device.read(mda_offset + _SECTOR, size - first)
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


def parse(text: str) -> dict[str, Value]:
    """Parse LVM's text configuration format into nested dicts, lists, strings and ints."""
    tokens = [m.group(1) or m.group(2) or m.group(3) for m in _TOKEN.finditer(text)]
    stream = [t for t in tokens if t]
    position = 0

    def value() -> Value:
        nonlocal position
        token = stream[position]
        position += 1
        if token == "[":
            items: list[Value] = []
            while stream[position] != "]":
                if stream[position] == ",":
                    position += 1
                    continue
                items.append(value())
            position += 1
            return items
        if token.startswith('"'):
            return re.sub(r"\\(.)", r"\1", token[1:-1])
        try:
            return int(token)
        except ValueError:
            return token

    def section(closing: bool) -> dict[str, Value]:
        nonlocal position
        result: dict[str, Value] = {}
        while position < len(stream):
            key = stream[position]
            if key == "}" and closing:
                position += 1
                return result
            position += 1
            marker = stream[position]
            position += 1
            if marker == "{":
                result[key] = section(True)
            elif marker == "=":
                result[key] = value()
            else:
                raise ValueError(f"unexpected {marker!r} after {key!r}")
        return result

    try:
        return section(False)
    except (IndexError, ValueError, RecursionError) as exc:
        raise SourceError(f"corrupt LVM metadata: {exc}") from exc


def logical_volumes(pvs: list[PhysicalVolume]) -> tuple[list[LogicalVolume], list[str]]:
    """Readable logical volumes of every volume group, and messages about those skipped."""
    by_uuid = {pv.uuid.replace("-", ""): pv for pv in pvs}
    volumes: list[LogicalVolume] = []
    problems: list[str] = []
    groups: dict[str, dict[str, Value]] = {}
    for pv in pvs:
        for key, group in parse(pv.metadata).items():
            if isinstance(group, dict) and "physical_volumes" in group:
                groups.setdefault(key, group)
    for vg_name, group in sorted(groups.items()):
        vols, skipped = _group(vg_name, group, by_uuid)
        volumes += vols
        problems += skipped
    return volumes, problems


def _dict(value: Value | None) -> dict[str, Value]:
    return value if isinstance(value, dict) else {}


def _int(value: Value | None) -> int:
    return value if isinstance(value, int) else 0


def _group(
    vg: str, group: dict[str, Value], by_uuid: dict[str, PhysicalVolume]
) -> tuple[list[LogicalVolume], list[str]]:
    extent = _int(group.get("extent_size")) * _SECTOR
    pvs: dict[str, tuple[Device, int] | None] = {}
    for pv_name, pv in _dict(group.get("physical_volumes")).items():
        found = by_uuid.get(str(_dict(pv).get("id", "")).replace("-", ""))
        start = _int(_dict(pv).get("pe_start")) * _SECTOR
        pvs[pv_name] = (found.device, start) if found else None
    volumes: list[LogicalVolume] = []
    problems: list[str] = []
    for lv_name, lv_value in sorted(_dict(group.get("logical_volumes")).items()):
        lv = _dict(lv_value)
        status = lv.get("status")
        if not isinstance(status, list) or "VISIBLE" not in status:
            continue
        try:
            device = _linear(vg, lv_name, lv, pvs, extent)
        except ValueError as exc:
            problems.append(f"logical volume {vg}/{lv_name} skipped: {exc}")
            continue
        volumes.append(LogicalVolume(vg, lv_name, str(lv.get("id", "")), device))
    return volumes, problems


def _linear(
    vg: str,
    lv_name: str,
    lv: dict[str, Value],
    pvs: dict[str, tuple[Device, int] | None],
    extent: int,
) -> Device:
    if extent <= 0:
        raise ValueError("volume group has no extent size")
    segments = sorted(
        (_dict(v) for k, v in lv.items() if k.startswith("segment") and isinstance(v, dict)),
        key=lambda seg: _int(seg.get("start_extent")),
    )
    pieces: list[tuple[Device, int, int]] = []
    next_extent = 0
    for seg in segments:
        kind = seg.get("type")
        if kind != "striped" or _int(seg.get("stripe_count")) != 1:
            raise ValueError(f"segment type {kind} is not supported (only linear volumes)")
        stripes = seg.get("stripes")
        if not isinstance(stripes, list) or len(stripes) != 2:
            raise ValueError("bad stripe list")
        location = pvs.get(str(stripes[0]))
        if location is None:
            raise ValueError(f"physical volume {stripes[0]} is missing")
        if _int(seg.get("start_extent")) != next_extent:
            raise ValueError("segments leave a gap")
        count = _int(seg.get("extent_count"))
        device, pe_start = location
        start = pe_start + _int(stripes[1]) * extent
        if start + count * extent > device.size:
            raise ValueError("segment reaches beyond the end of its physical volume")
        pieces.append((device, start, count * extent))
        next_extent += count
    if not pieces:
        raise ValueError("no segments")
    return ConcatDevice(pieces)
