"""Replay an ext3/ext4 (jbd2) journal in memory, as the kernel does when it mounts.

An image copied from a running system holds committed transactions that only the journal
has: :func:`replay` scans the log from its start (descriptor, commit and revoke blocks,
32- and 64-bit block numbers, checksum v2/v3 tags, escaped blocks, wrap-around), keeps the
blocks of every fully committed transaction that no later revoke cancels, and returns a
:class:`JournalOverlay`: the volume as it reads after recovery. The input is never written.
A journal this module cannot replay raises :class:`~analyzer.errors.UnsupportedFeature`.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.errors import UnsupportedFeature
from analyzer.sources.disk.crc32c import crc32c
from analyzer.sources.disk.device import Device, RunData, check, unpack

MAGIC = 0xC03B3998
_DESCRIPTOR, _COMMIT, _SB_V1, _SB_V2, _REVOKE = 1, 2, 3, 4, 5
_REVOKE_FEATURE, _64BIT, _ASYNC_COMMIT, _CSUM_V2, _CSUM_V3 = 0x1, 0x2, 0x4, 0x8, 0x10
_KNOWN_INCOMPAT = _REVOKE_FEATURE | _64BIT | _ASYNC_COMMIT | _CSUM_V2 | _CSUM_V3
_INCOMPAT_NAMES = {0x20: "fast_commit"}
_TAG_ESCAPE, _TAG_SAME_UUID, _TAG_LAST = 0x1, 0x2, 0x8
#: Most log blocks scanned (a bound on a corrupt journal whose sequence never ends).
_MAX_SCAN = 1 << 22


@dataclass(frozen=True, slots=True)
class Replay:
    """What a replay found: transactions and blocks applied, and the block map itself.

    ``stopped`` says why replay ended before the end of the log (a checksum that does not
    match, as the kernel would find it), ``None`` when every committed transaction applied.
    """

    transactions: int
    blocks: dict[int, tuple[int, bool]]
    stopped: str | None = None


class JournalOverlay:
    """A volume with replayed journal blocks laid over it (read-only, in memory)."""

    def __init__(self, base: Device, journal: RunData, block: int, replay: Replay) -> None:
        self._base = base
        self._journal = journal
        self._block = block
        self._blocks = replay.blocks

    @property
    def size(self) -> int:
        """Size of the volume."""
        return self._base.size

    def read(self, offset: int, size: int) -> bytes:
        """Bytes at ``offset``, from the journal where a committed transaction rewrote them."""
        if not self._blocks:
            return self._base.read(offset, size)
        end = min(offset + max(size, 0), self._base.size)
        out = bytearray()
        pos = max(offset, 0)
        block = self._block
        while pos < end:
            number, skip = divmod(pos, block)
            step = min(block - skip, end - pos)
            found = self._blocks.get(number)
            if found is None:
                out += self._base.read(pos, step)
            else:
                data = bytearray(self._journal.read_at(found[0] * block, block).ljust(block, b"\0"))
                if found[1]:
                    data[0:4] = MAGIC.to_bytes(4, "big")
                out += data[skip : skip + step]
            pos += step
        return bytes(out)


@dataclass(frozen=True, slots=True)
class _Header:
    block_size: int
    maxlen: int
    first: int
    sequence: int
    start: int
    incompat: int
    #: crc32c of the journal UUID (the kernel's ``j_csum_seed``); ``None`` without v2/v3.
    seed: int | None


def _superblock(journal: RunData, name: str) -> _Header:
    raw = journal.read_at(0, 1024)
    check(len(raw) == 1024, name, "corrupt jbd2 journal: superblock cut short")
    magic, kind = unpack(">II", raw, 0, name)
    check(magic == MAGIC and kind in (_SB_V1, _SB_V2), name, "corrupt jbd2 journal superblock")
    block, maxlen, first, sequence, start = unpack(">5I", raw, 12, name)
    incompat = unpack(">I", raw, 40, name)[0] if kind == _SB_V2 else 0
    unknown = incompat & ~_KNOWN_INCOMPAT
    if unknown:
        names = [
            _INCOMPAT_NAMES.get(1 << b, f"0x{1 << b:x}") for b in range(32) if unknown >> b & 1
        ]
        raise UnsupportedFeature(
            f"{name}: jbd2 journal feature {', '.join(names)} is not supported"
        )
    check(
        block in (1024, 2048, 4096, 8192, 16384, 32768, 65536) and 0 < first < maxlen,
        name,
        "corrupt jbd2 journal: geometry",
    )
    seed = crc32c(0xFFFFFFFF, raw[48:64]) if incompat & (_CSUM_V2 | _CSUM_V3) else None
    return _Header(block, maxlen, first, sequence, start, incompat, seed)


def _tag_size(incompat: int) -> int:
    if incompat & _CSUM_V3:
        return 16
    size = 12 + (2 if incompat & _CSUM_V2 else 0)
    return size if incompat & _64BIT else size - 4


def _tags(data: bytes, head: _Header, name: str) -> list[tuple[int, bool, int]]:
    """``(file-system block, escaped, checksum)`` of each tag of a descriptor block, in order."""
    incompat = head.incompat
    size = _tag_size(incompat)
    end = len(data) - (4 if incompat & (_CSUM_V2 | _CSUM_V3) else 0)
    tags: list[tuple[int, bool, int]] = []
    pos = 12
    while pos + size <= end:
        number = unpack(">I", data, pos, name)[0]
        if incompat & _CSUM_V3:
            flags, checksum = unpack(">I", data, pos + 4, name)[0], data[pos + 12 : pos + 16]
        else:
            flags, checksum = unpack(">H", data, pos + 6, name)[0], data[pos + 4 : pos + 6]
        if incompat & _64BIT:
            number |= unpack(">I", data, pos + 8, name)[0] << 32
        tags.append((number, bool(flags & _TAG_ESCAPE), int.from_bytes(checksum, "big")))
        pos += size + (0 if flags & _TAG_SAME_UUID else 16)
        if flags & _TAG_LAST:
            break
    return tags


def _revoked(data: bytes, head: _Header, name: str) -> list[int]:
    count = min(unpack(">I", data, 12, name)[0], len(data))
    width = 8 if head.incompat & _64BIT else 4
    code = ">Q" if width == 8 else ">I"
    return [unpack(code, data, at, name)[0] for at in range(16, count - width + 1, width)]


def _tail_ok(data: bytes, head: _Header) -> bool:
    """The checksum at the end of a descriptor or revoke block (true without checksums)."""
    if head.seed is None:
        return True
    stored = int.from_bytes(data[-4:], "big")
    return crc32c(head.seed, data[:-4] + bytes(4)) == stored


def _commit_ok(data: bytes, head: _Header) -> bool:
    """The checksum of a commit block, stored in its first ``h_chksum`` word."""
    if head.seed is None:
        return True
    stored = int.from_bytes(data[16:20], "big")
    return crc32c(head.seed, data[:16] + bytes(4) + data[20:]) == stored


def _tag_ok(data: bytes, sequence: int, checksum: int, head: _Header) -> bool:
    """A data block against its tag: crc32c of the sequence and the block as logged."""
    if head.seed is None:
        return True
    value = crc32c(crc32c(head.seed, sequence.to_bytes(4, "big")), data)
    return (value if head.incompat & _CSUM_V3 else value & 0xFFFF) == checksum


class _Scan:
    """The kernel's ``PASS_SCAN``: committed transactions in log order, checksums verified."""

    def __init__(self, journal: RunData, head: _Header, fs_blocks: int, name: str) -> None:
        self.journal, self.head, self.fs_blocks, self.name = journal, head, fs_blocks, name
        self.committed: list[tuple[list[tuple[int, int, bool]], list[int]]] = []
        self.stopped: str | None = None

    def _block(self, position: int) -> bytes:
        size = self.head.block_size
        return self.journal.read_at(position * size, size)

    def _bad_data(self, sequence: int, writes: list[tuple[int, int, bool, int]]) -> str | None:
        for target, where, _escaped, checksum in writes:
            if not _tag_ok(self._block(where), sequence, checksum, self.head):
                return (
                    f"transaction {sequence}: the checksum of file-system block {target} "
                    f"(journal block {where}) does not match its tag"
                )
        return None

    def run(self) -> None:
        """Scan from the log start to the first block that does not continue the sequence."""
        head, name = self.head, self.name
        position, sequence = head.start, head.sequence
        pending: list[tuple[int, int, bool, int]] = []
        revokes: list[int] = []
        suspect: str | None = None
        last_time = 0
        for _ in range(min(_MAX_SCAN, head.maxlen)):
            data = self._block(position)
            if len(data) < 12:
                break
            magic, kind, seq = unpack(">III", data, 0, name)
            if magic != MAGIC or seq != sequence:
                break
            where = position
            position = _next(position, head)
            if kind in (_DESCRIPTOR, _REVOKE) and not _tail_ok(data, head) and suspect is None:
                label = "descriptor" if kind == _DESCRIPTOR else "revoke"
                suspect = f"transaction {sequence}: {label} block {where} checksum does not match"
            if kind == _DESCRIPTOR:
                for target, escaped, checksum in _tags(data, head, name):
                    check(target < self.fs_blocks, name, f"corrupt jbd2 journal: block {target}")
                    pending.append((target, position, escaped, checksum))
                    position = _next(position, head)
            elif kind == _REVOKE:
                revokes += _revoked(data, head, name)
            elif kind == _COMMIT:
                commit_time = unpack(">Q", data, 48, name)[0] if head.seed is not None else 0
                if not _commit_ok(data, head):
                    suspect = suspect or (
                        f"transaction {sequence}: commit block {where} checksum does not match"
                    )
                if suspect is not None:
                    # an older commit time means blocks left over from an earlier use of the
                    # log: the log simply ends here, as the kernel decides
                    if commit_time >= last_time:
                        self.stopped = suspect
                    return
                problem = self._bad_data(sequence, pending)
                if problem is not None:
                    self.stopped = problem
                    return
                last_time = commit_time
                self.committed.append(([(t, w, e) for t, w, e, _c in pending], revokes))
                pending, revokes = [], []
                sequence = (sequence + 1) & 0xFFFFFFFF
            else:
                break


def replay(journal: RunData, fs_blocks: int, name: str) -> Replay:
    """Scan the journal and map each file-system block to its latest committed copy.

    ``journal`` reads the journal inode; the map's values are ``(journal block, escaped)``.
    With checksums (v2/v3), a descriptor, revoke or commit block, or a data block, whose
    checksum does not match ends the replay before that transaction (see :attr:`Replay.stopped`).
    """
    head = _superblock(journal, name)
    if head.start == 0:
        return Replay(0, {})
    check(head.first <= head.start < head.maxlen, name, "corrupt jbd2 journal: start")
    scan = _Scan(journal, head, fs_blocks, name)
    scan.run()
    committed = scan.committed
    cancelled: dict[int, int] = {}
    for index, (_writes, revoked) in enumerate(committed):
        for number in revoked:
            cancelled[number] = index
    blocks: dict[int, tuple[int, bool]] = {}
    for index, (writes, _revoked_here) in enumerate(committed):
        for target, where, escaped in writes:
            if cancelled.get(target, -1) < index:
                blocks[target] = (where, escaped)
    return Replay(len(committed), blocks, scan.stopped)


def _next(position: int, head: _Header) -> int:
    position += 1
    return head.first if position >= head.maxlen else position
