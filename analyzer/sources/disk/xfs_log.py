"""Whether an XFS log is clean, decided the way ``xfs_repair`` and ``xfs_logprint`` do.

The log is a circular buffer of 512-byte basic blocks at ``sb_logstart`` for
``sb_logblocks``; every block written in one pass over the log carries that pass's cycle
number in its first word (record headers carry the magic there and the cycle after it). The
head is where the cycle number drops (found by bisection, as the kernel's
``xlog_find_cycle_start`` does); the last record before it is found by scanning back for the
record-header magic. The log is clean when that record is an unmount record: one log
operation whose header has ``XLOG_UNMOUNT_TRANS`` set, ending exactly at the head. A zeroed
log (``xfs_repair -L``) is clean too. Anything else means the file system was not unmounted:
its metadata on disk may be older than what the log holds. The log is only read, never
replayed.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.sources.disk.device import Device, check, unpack

BBSIZE = 512
RECORD_MAGIC = 0xFEEDBABE
_UNMOUNT_TRANS = 0x20
_VERSION_2 = 0x2
_HEADER_CYCLE_SIZE = 32 * 1024
#: Bytes read at a time when scanning back from the head for a record header.
_SCAN_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class LogState:
    """What the log holds: ``clean``, and where its head and last record are (basic blocks)."""

    clean: bool
    head: int
    record: int | None


class _Log:
    """The log area of a device, addressed in basic blocks."""

    def __init__(self, device: Device, offset: int, blocks: int, name: str) -> None:
        self.device = device
        self.offset = offset
        self.blocks = blocks
        self.name = name

    def read(self, block: int, count: int = 1) -> bytes:
        data = self.device.read(self.offset + block * BBSIZE, count * BBSIZE)
        check(len(data) == count * BBSIZE, self.name, "corrupt XFS: log beyond the device")
        return data

    def cycle(self, block: int) -> int:
        data = self.read(block)
        if unpack(">I", data, 0, self.name)[0] == RECORD_MAGIC:
            return int(unpack(">I", data, 4, self.name)[0])
        return int(unpack(">I", data, 0, self.name)[0])


def _first_with_cycle(log: _Log, low: int, high: int, cycle: int) -> int:
    """First block in ``(low, high]`` whose cycle is ``cycle``, given ``high`` has it."""
    while high - low > 1:
        middle = (low + high) // 2
        if log.cycle(middle) == cycle:
            high = middle
        else:
            low = middle
    return high


def _head(log: _Log) -> int | None:
    """The block the next record would be written at; ``None`` for a zeroed log."""
    first = log.cycle(0)
    if first == 0:
        return None
    last = log.cycle(log.blocks - 1)
    if last == 0:
        # not yet wrapped: the head is the first block never written
        return _first_with_cycle(log, 0, log.blocks - 1, 0)
    if first == last:
        # every block written in this pass: the head is at the end, i.e. the start
        return 0
    return _first_with_cycle(log, 0, log.blocks - 1, last)


def _last_record(log: _Log, head: int) -> int | None:
    """The basic block of the last record header before ``head`` (wrapping), if any."""
    per_chunk = _SCAN_CHUNK // BBSIZE
    scanned = 0
    end = head if head else log.blocks
    while scanned < log.blocks:
        count = min(per_chunk, end, log.blocks - scanned)
        start = end - count
        data = log.read(start, count)
        for index in range(count - 1, -1, -1):
            if int.from_bytes(data[index * BBSIZE : index * BBSIZE + 4], "big") == RECORD_MAGIC:
                return start + index
        scanned += count
        end = start if start else log.blocks
    return None


def log_state(device: Device, offset: int, size: int, v2_log: bool, name: str) -> LogState:
    """Decide whether the log at ``offset`` (``size`` bytes) on ``device`` is clean."""
    check(size >= 2 * BBSIZE and offset >= 0, name, "corrupt XFS: log geometry")
    log = _Log(device, offset, size // BBSIZE, name)
    head = _head(log)
    if head is None:
        return LogState(True, 0, None)
    record = _last_record(log, head)
    if record is None:
        return LogState(False, head, None)
    raw = log.read(record)
    version, length = unpack(">II", raw, 8, name)
    logops = unpack(">I", raw, 40, name)[0]
    header_size = unpack(">I", raw, 320, name)[0]
    blocks = 1
    if v2_log and version & _VERSION_2 and header_size > _HEADER_CYCLE_SIZE:
        blocks = -(-header_size // _HEADER_CYCLE_SIZE)
    after = (record + blocks + -(-length // BBSIZE)) % log.blocks
    if after != head or logops != 1:
        return LogState(False, head, record)
    op = log.read((record + blocks) % log.blocks)
    return LogState(bool(op[9] & _UNMOUNT_TRANS), head, record)
