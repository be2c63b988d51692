"""Live snapshots: an ext4 image copied while mounted reads as it would after recovery.

The image is made the way agentless scanners see one: mounted on a loop device, written to
(each file fsync'ed, so its transaction is committed to the journal), the file system shut
down with its log flushed (nothing is checkpointed), and the image file copied while still
mounted. ``debugfs`` (which does not replay the journal) proves the new files are only in
the journal; ``e2fsck`` on a copy proves what recovery gives.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from disk_builders import Spec, loop_mounted, mkfs_ext4, run, write_tree
from fidelity import compare

from analyzer.model import Level
from analyzer.sources.disk import DiskSource
from analyzer.sources.disk.crc32c import crc32c
from analyzer.stream.entry import Kind
from analyzer.vfs.build import TreeBuilder

SPEC: Spec = {
    "etc/hostname": "golden\n",
    "etc/machine-id": "",
    "etc/stale": "deleted while running\n",
    "etc/os-release": "ID=debian\n",
    "etc/fstab": "# nothing\n",
}
KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\n" + b"k" * 3000


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(snapshot image, directory with what the running system saw)``."""
    tmp = tmp_path_factory.mktemp("journal")
    image = mkfs_ext4(write_tree(tmp / "src", SPEC), tmp / "live.img", 32)
    with loop_mounted(image, tmp / "mnt") as mnt:
        (mnt / "etc/ssh").mkdir()
        _write(mnt / "etc/ssh/ssh_host_ed25519_key", KEY)
        os.chmod(mnt / "etc/ssh/ssh_host_ed25519_key", 0o600)
        _write(mnt / "etc/machine-id", b"0123456789abcdef0123456789abcdef\n")
        _write(mnt / "etc/hostname", b"cloned-host\n")
        os.unlink(mnt / "etc/stale")
        etc = os.open(mnt / "etc", os.O_RDONLY)
        os.fsync(etc)
        os.close(etc)
        seen = tmp / "seen"
        shutil.copytree(mnt, seen, symlinks=True, ignore=shutil.ignore_patterns("lost+found"))
        for path in [seen, *seen.rglob("*")]:
            info = (mnt / path.relative_to(seen)).lstat()
            os.chown(path, info.st_uid, info.st_gid, follow_symlinks=False)
            os.chmod(path, info.st_mode & 0o7777)
        run("xfs_io", "-x", "-c", "shutdown -f", str(mnt))
        snap = tmp / "snapshot.img"
        shutil.copyfile(image, snap)
    return snap, seen


def test_raw_image_lacks_what_only_the_journal_holds(snapshot: tuple[Path, Path]) -> None:
    snap, _seen = snapshot
    assert "needs_recovery" in run("dumpe2fs", "-h", str(snap))
    listing = run("debugfs", "-R", "ls /etc", str(snap))
    assert "ssh" not in listing
    assert "stale" in listing


def test_snapshot_reads_as_after_recovery(snapshot: tuple[Path, Path], tmp_path: Path) -> None:
    snap, seen = snapshot
    before = snap.read_bytes()
    disk = DiskSource(str(snap))
    tree = TreeBuilder([]).build(disk.layers())
    assert compare(seen, tree) == 7
    assert tree.read("/etc/ssh/ssh_host_ed25519_key") == KEY
    assert tree.read("/etc/hostname") == b"cloned-host\n"
    assert not tree.exists("/etc/stale")
    disk.close()
    assert snap.read_bytes() == before
    notes = [(n.level, n.message) for n in disk.notifications if n.code == "disk.ext.journal"]
    assert len(notes) == 1
    assert notes[0][0] is Level.NOTE
    assert notes[0][1].startswith(
        "snapshot.img:disk: ext4 journal replayed in memory (the image was taken from a "
        "running system):"
    )
    # e2fsck's recovery gives the same tree
    fixed = tmp_path / "fixed.img"
    shutil.copyfile(snap, fixed)
    subprocess.run(["e2fsck", "-fy", str(fixed)], capture_output=True, check=False)
    clean = DiskSource(str(fixed))
    assert compare(seen, TreeBuilder([]).build(clean.layers())) == 7
    clean.close()


def test_journal_that_cannot_be_replayed_is_named(
    snapshot: tuple[Path, Path], tmp_path: Path
) -> None:
    snap, _seen = snapshot
    broken = tmp_path / "fast-commit.img"
    shutil.copyfile(snap, broken)
    block = int(run("debugfs", "-R", "bmap <8> 0", str(broken)).split()[0])
    size = 1024 << struct.unpack_from("<I", snap.read_bytes(), 1024 + 24)[0]
    with open(broken, "r+b") as file:
        file.seek(block * size + 40)
        incompat = struct.unpack(">I", file.read(4))[0]
        file.seek(block * size + 40)
        file.write(struct.pack(">I", incompat | 0x20))
    disk = DiskSource(str(broken))
    tree = TreeBuilder([]).build(disk.layers())
    assert tree.read("/etc/hostname") == b"golden\n"
    disk.close()
    notes = [(n.level, n.message) for n in disk.notifications if n.code == "disk.ext.journal"]
    assert notes == [
        (
            Level.ERROR,
            "fast-commit.img:disk: ext4 journal needs recovery (the image was taken from a "
            "running system) and cannot be replayed (fast-commit.img:disk: jbd2 journal "
            "feature fast_commit is not supported): files written since the last checkpoint "
            "may be missing or stale",
        )
    ]


def _logged(snap: Path) -> dict[int, list[tuple[int, int]]]:
    """Journal blocks of each transaction, by sequence: ``(type, journal block)`` per block."""
    found: dict[int, list[tuple[int, int]]] = {}
    for line in run("debugfs", "-R", "logdump", str(snap)).splitlines():
        if line.startswith("Found expected sequence"):
            words = line.replace(",", "").split()
            found.setdefault(int(words[3]), []).append((int(words[5]), int(words[-1])))
    return found


def _fs_offset(snap: Path, journal_block: int) -> int:
    block = int(run("debugfs", "-R", f"bmap <8> {journal_block}", str(snap)).split()[0])
    log_size: int = struct.unpack_from("<I", snap.read_bytes(), 1024 + 24)[0]
    return block * (1024 << log_size)


def test_snapshot_journal_uses_v3_checksums_that_all_match(snapshot: tuple[Path, Path]) -> None:
    snap, _seen = snapshot
    assert "journal_checksum_v3" in run("dumpe2fs", "-h", str(snap))
    logged = _logged(snap)
    assert len(logged) == 5
    assert all(kinds[0][0] == 1 and kinds[-1][0] == 2 for kinds in logged.values())


def _contents(image: Path) -> dict[str, tuple[object, ...]]:
    """Every path of an image read through the tree API, with its metadata and digest."""
    disk = DiskSource(str(image))
    tree = TreeBuilder([]).build(disk.layers())
    found: dict[str, tuple[object, ...]] = {
        path: (
            node.kind,
            node.mode,
            node.uid,
            node.gid,
            node.link,
            tree.read(path) if node.kind is Kind.FILE else None,
        )
        for path, node in tree.walk("/")
        if not path.startswith("/lost+found")
    }
    disk.close()
    return found


def _flip(image: Path, at: int, width: int = 1) -> None:
    with open(image, "r+b") as file:
        file.seek(at)
        data = file.read(width)
        file.seek(at)
        file.write(bytes(b ^ 0xFF for b in data))


@pytest.mark.parametrize("damage", ["tag", "data", "descriptor", "commit"])
def test_checksum_mismatch_stops_replay_at_that_transaction(
    damage: str, snapshot: tuple[Path, Path], tmp_path: Path
) -> None:
    snap, _seen = snapshot
    logged = _logged(snap)
    damaged = sorted(logged)[-2]
    descriptor, commit = logged[damaged][0][1], logged[damaged][-1][1]
    block_size = 1024 << struct.unpack_from("<I", snap.read_bytes(), 1024 + 24)[0]
    broken = tmp_path / "broken.img"
    shutil.copyfile(snap, broken)
    if damage == "tag":
        # the first tag's checksum (v3 tags: number, flags, high number, checksum), with the
        # descriptor's own checksum made to match again
        at = _fs_offset(snap, descriptor)
        _flip(broken, at + 24, 4)
        data = bytearray(broken.read_bytes()[at : at + block_size])
        seed = crc32c(0xFFFFFFFF, _journal_uuid(snap))
        data[-4:] = crc32c(seed, bytes(data[:-4]) + bytes(4)).to_bytes(4, "big")
        with open(broken, "r+b") as file:
            file.seek(at)
            file.write(data)
    else:
        _flip(
            broken,
            {
                "data": _fs_offset(snap, descriptor + 1) + 100,
                "descriptor": _fs_offset(snap, descriptor) + block_size - 1,
                "commit": _fs_offset(snap, commit) + 16,
            }[damage],
        )
    # what recovery gives when the log ends before that transaction, as e2fsck replays it
    reference = tmp_path / "reference.img"
    shutil.copyfile(snap, reference)
    _flip(reference, _fs_offset(snap, descriptor), 4)
    subprocess.run(["e2fsck", "-fy", str(reference)], capture_output=True, check=False)
    got = _contents(broken)
    assert got == _contents(reference)
    assert got != _contents(snap)
    disk = DiskSource(str(broken))
    disk.close()
    what = {
        "tag": f"the checksum of file-system block \\d+ \\(journal block {descriptor + 1}\\) "
        "does not match its tag",
        "descriptor": f"descriptor block {descriptor} checksum does not match",
        "commit": f"commit block {commit} checksum does not match",
    }
    what["data"] = what["tag"]
    errors = [n.message for n in disk.notifications if n.level is Level.ERROR]
    assert len(errors) == 1
    assert re.fullmatch(
        f"broken.img:disk: ext4 journal replay stopped at transaction {damaged}: "
        f"{what[damage]}; the {damaged - min(logged)} transactions before it are applied, "
        "that one and any later are not: files written since may be missing or stale",
        errors[0],
    ), errors[0]


def _journal_uuid(snap: Path) -> bytes:
    with open(snap, "rb") as file:
        file.seek(_fs_offset(snap, 0) + 48)
        return file.read(16)


def test_stale_blocks_older_than_the_last_commit_end_the_log_quietly(
    snapshot: tuple[Path, Path], tmp_path: Path
) -> None:
    """A bad descriptor whose commit is older than the previous one is left-over log (kernel)."""
    snap, _seen = snapshot
    logged = _logged(snap)
    damaged = sorted(logged)[-2]
    descriptor, commit = logged[damaged][0][1], logged[damaged][-1][1]
    block_size = 1024 << struct.unpack_from("<I", snap.read_bytes(), 1024 + 24)[0]
    stale = tmp_path / "stale.img"
    shutil.copyfile(snap, stale)
    _flip(stale, _fs_offset(snap, descriptor) + block_size - 1)
    at = _fs_offset(snap, commit)
    data = bytearray(stale.read_bytes()[at : at + block_size])
    data[48:56] = (1).to_bytes(8, "big")  # committed in 1970: before the transaction before it
    data[16:20] = bytes(4)
    seed = crc32c(0xFFFFFFFF, _journal_uuid(snap))
    data[16:20] = crc32c(seed, bytes(data)).to_bytes(4, "big")
    with open(stale, "r+b") as file:
        file.seek(at)
        file.write(data)
    reference = tmp_path / "reference.img"
    shutil.copyfile(snap, reference)
    _flip(reference, _fs_offset(snap, descriptor), 4)
    assert _contents(stale) == _contents(reference)
    disk = DiskSource(str(stale))
    disk.close()
    assert [n.message for n in disk.notifications if n.level is Level.ERROR] == []
    [note] = [n.message for n in disk.notifications if n.code == "disk.ext.journal"]
    assert note.startswith("stale.img:disk: ext4 journal replayed in memory")
    assert f": {damaged - min(logged)} transactions," in note
