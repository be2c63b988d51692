"""btrfs images for the tests, made with the real tools.

``mkfs.btrfs --rootdir`` (no privileges) makes a file system from a directory; btrfs-progs 6.2
has no ``--subvol`` and writes no compressed extents, so subvolumes and zlib/LZO/zstd
extents are made the way a distribution installer makes them: a loop mount with
``compress-force=``, ``btrfs subvolume create`` and ``cp -a``. That needs root and loop devices
(CI runs as root); :func:`can_loop_mount` tells the tests whether to run.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from disk_builders import MIB, have, run

from analyzer.vfs.tree import Tree


def can_loop_mount() -> bool:
    """True when this process may loop-mount a btrfs image (root, loop devices, btrfs)."""
    if os.geteuid() != 0 or not Path("/dev/loop-control").exists() or not have("mkfs.btrfs"):
        return False
    try:
        known = Path("/proc/filesystems").read_text()
    except OSError:
        return False
    if "btrfs" in known:
        return True
    return subprocess.run(["modprobe", "btrfs"], capture_output=True, check=False).returncode == 0


def mkfs_btrfs(image: Path, tree: Path | None, size_mib: int, *options: str) -> Path:
    """A btrfs image of ``size_mib``, filled from ``tree`` with ``--rootdir`` when given."""
    image.unlink(missing_ok=True)
    image.write_bytes(b"")
    os.truncate(image, size_mib * MIB)
    rootdir = ["--rootdir", str(tree)] if tree is not None else []
    run("mkfs.btrfs", "-q", "-f", *rootdir, *options, str(image))
    return image


@contextmanager
def mounted(image: Path, options: str) -> Iterator[Path]:
    """``image`` loop-mounted with ``options`` for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="btrfs-mnt-") as point:
        run("mount", "-o", f"loop,{options}", str(image), point)
        try:
            yield Path(point)
        finally:
            run("umount", point)


def populate(
    image: Path,
    compress: str,
    subvolumes: Mapping[str, Path | None],
    default: str | None = None,
    snapshots: Mapping[str, str] | None = None,
) -> Path:
    """Create ``subvolumes`` (path -> tree copied in, in order), snapshots and the default.

    The path ``""`` is the top level; missing parent directories are created. Files are
    written with ``compress-force=compress`` so every compressible extent is compressed.
    """
    with mounted(image, f"compress-force={compress}") as top:
        for path, tree in subvolumes.items():
            if path:
                (top / path).parent.mkdir(parents=True, exist_ok=True)
                run("btrfs", "subvolume", "create", str(top / path))
            if tree is not None:
                run("cp", "-a", f"{tree}/.", str(top / path) if path else str(top))
        for target, origin in (snapshots or {}).items():
            (top / target).parent.mkdir(parents=True, exist_ok=True)
            run("btrfs", "subvolume", "snapshot", str(top / origin), str(top / target))
        if default is not None:
            run("btrfs", "subvolume", "set-default", str(top / default))
    return image


def differences(source: Path, tree: Tree, prefix: str = "/") -> list[str]:
    """What differs between a directory on the host and the scanned tree below ``prefix``.

    Compared: kind, permission bits, owner, size, link target, sha256 and
    ``security.capability`` of every object; an empty list means equal.
    """
    out: list[str] = []
    seen = {"/"}
    for directory, dirs, files in os.walk(source):
        for name in sorted(dirs + files):
            host = Path(directory) / name
            rel = "/" + str(host.relative_to(source))
            path = (prefix.rstrip("/") + rel) or "/"
            seen.add(path)
            if not tree.exists(path, follow=False):
                out.append(f"{path}: missing")
                continue
            info, node = host.lstat(), tree.lstat(path)
            want = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
            if (node.mode, node.uid, node.gid) != want:
                out.append(f"{path}: mode/owner {(node.mode, node.uid, node.gid)} != {want}")
            if stat.S_ISLNK(info.st_mode):
                if tree.readlink(path) != os.readlink(host):
                    out.append(f"{path}: link {tree.readlink(path)!r}")
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(host.read_bytes()).hexdigest()
                got = hashlib.sha256(tree.read(path)).hexdigest()
                if node.size != info.st_size or got != digest:
                    out.append(f"{path}: content differs (size {node.size})")
                try:
                    cap = os.getxattr(host, "security.capability", follow_symlinks=False)
                except OSError:
                    cap = None
                if node.xattrs.get("security.capability") != cap:
                    out.append(f"{path}: capability {node.xattrs.get('security.capability')!r}")
            elif node.kind.value != _kind(info.st_mode):
                out.append(f"{path}: kind {node.kind.value} != {_kind(info.st_mode)}")
    under = [p for p, _ in tree.walk(prefix) if p not in seen]
    out += [f"{p}: not in the source" for p in under]
    return out


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "dir"),
        (stat.S_ISCHR, "char"),
        (stat.S_ISBLK, "block"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "?"
