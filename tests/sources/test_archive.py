"""Archive sources: every compression and cpio, detected by content, stdin, schemes, sparse files,
xattrs, devices and hard links. Inputs are written at test time with libarchive and GNU tar.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from builders import Device, File, Hardlink, Symlink, make_tree, to_dir, to_tar
from jsonreports import load_report

from analyzer.analyzers.text import TextCapture
from analyzer.errors import SourceError, UsageError
from analyzer.sources import SCHEMES, open_source
from analyzer.sources.archive import ArchiveReader
from analyzer.sources.rootfs import ArchiveRootfs, DirectoryRootfs
from analyzer.stream.capture import CapturePattern
from analyzer.stream.entry import Kind
from analyzer.vfs.build import PassReport, TreeBuilder
from analyzer.vfs.tree import Tree

ROOT = Path(__file__).resolve().parents[2]
CAPABILITY = b"\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
HOSTS = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n"
SPEC = make_tree(
    {
        "etc/hosts": HOSTS,
        "etc/os-release": Symlink("../usr/lib/os-release"),
        "usr/lib/os-release": "ID=debian\n",
        "usr/bin/ping": File(
            b"\x7fELF-ping", mode=0o4755, xattrs={"security.capability": CAPABILITY}
        ),
        "usr/bin/ping6": Hardlink("usr/bin/ping"),
        "bin": Symlink("usr/bin"),
    }
)
#: First bytes each compression writes, to prove the file really is compressed.
MAGIC = {
    None: None,
    "gzip": b"\x1f\x8b",
    "xz": b"\xfd7zXZ\x00",
    "zstd": b"\x28\xb5\x2f\xfd",
    "bzip2": b"BZh",
    "lz4": b"\x04\x22\x4d\x18",
}


def scan(source_target: str) -> tuple[Tree, PassReport]:
    source = open_source(source_target)
    try:
        builder = TreeBuilder([TextCapture([CapturePattern("/**", cap=64 << 20)])])
        tree = builder.build(source.layers())
    finally:
        source.close()
    return tree, builder.report


def assert_spec_tree(tree: Tree) -> None:
    assert tree.read("/etc/hosts") == HOSTS.encode()
    assert tree.resolve("/etc/os-release").real_path == "/usr/lib/os-release"
    assert tree.read("/etc/os-release") == b"ID=debian\n"
    ping = tree.stat("/bin/ping")
    assert ping.is_file
    assert ping.mode == 0o4755
    assert tree.read("/usr/bin/ping6") == b"\x7fELF-ping"
    assert tree.stat("/usr/bin/ping6").records is ping.records
    assert tree.readlink("/bin") == "usr/bin"


@pytest.mark.parametrize("compression", list(MAGIC), ids=[str(c) for c in MAGIC])
def test_tar_in_every_compression_detected_by_content(
    tmp_path: Path, compression: str | None
) -> None:
    path = to_tar(SPEC, tmp_path / "rootfs", compression)
    magic = MAGIC[compression]
    head = path.read_bytes()[:512]
    if magic is None:
        assert head[257:262] == b"ustar"
    else:
        assert head.startswith(magic)
    tree, report = scan(str(path))
    assert_spec_tree(tree)
    assert report.complete
    assert report.notifications == []


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_cpio_newc(tmp_path: Path, compression: str | None) -> None:
    spec = make_tree({"etc/hosts": HOSTS, "bin/sh": Symlink("busybox"), "bin/busybox": b"bb"})
    path = to_tar(spec, tmp_path / "initramfs", compression, fmt="cpio_newc")
    raw = path.read_bytes()
    if compression is None:
        assert raw.startswith(b"070701")
    tree, report = scan(str(path))
    assert tree.read("/etc/hosts") == HOSTS.encode()
    assert tree.resolve("/bin/sh").real_path == "/bin/busybox"
    assert report.complete


def test_gnu_tar_format(tmp_path: Path) -> None:
    path = to_tar(SPEC, tmp_path / "gnutar", "gzip", fmt="gnutar")
    tree, _ = scan(str(path))
    assert_spec_tree(tree)


def test_xattr_security_capability_is_kept_and_others_dropped(tmp_path: Path) -> None:
    spec = make_tree(
        {
            "usr/bin/ping": File(
                b"x", xattrs={"security.capability": CAPABILITY, "user.comment": b"hi"}
            ),
        }
    )
    tree, _ = scan(str(to_tar(spec, tmp_path / "caps", "zstd")))
    assert dict(tree.stat("/usr/bin/ping").xattrs) == {"security.capability": CAPABILITY}


def test_device_nodes_and_fifos(tmp_path: Path) -> None:
    spec = make_tree(
        {
            "dev/null": Device("c", 1, 3, 0o666),
            "dev/sda": Device("b", 8, 0, 0o660),
            "run/initctl": Device("p", 0, 0, 0o600),
        }
    )
    tree, report = scan(str(to_tar(spec, tmp_path / "devs")))
    null = tree.stat("/dev/null")
    assert (null.kind, null.rdev, null.mode, null.size) == (Kind.CHAR, (1, 3), 0o666, 0)
    assert (tree.stat("/dev/sda").kind, tree.stat("/dev/sda").rdev) == (Kind.BLOCK, (8, 0))
    assert tree.stat("/run/initctl").kind is Kind.FIFO
    assert report.notifications == []


def test_hard_links_share_content(tmp_path: Path) -> None:
    spec = make_tree({"etc/a": "same\n", "etc/b": Hardlink("etc/a"), "etc/c": Hardlink("/etc/a")})
    tree, _ = scan(str(to_tar(spec, tmp_path / "links", "xz")))
    assert tree.read("/etc/b") == b"same\n"
    assert tree.read("/etc/c") == b"same\n"
    assert tree.stat("/etc/b").size == 5


@pytest.mark.skipif(shutil.which("tar") is None, reason="GNU tar is needed for sparse archives")
@pytest.mark.parametrize("fmt", ["gnu", "posix"])
def test_sparse_file_is_padded_to_its_size(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "root"
    (root / "var").mkdir(parents=True)
    sparse = root / "var" / "sparse.img"
    size = 3 << 20
    with open(sparse, "wb") as handle:
        handle.truncate(size)
        handle.write(b"HEAD")
        handle.seek(1 << 20)
        handle.write(b"MIDDLE")
        handle.seek(size - 4)
        handle.write(b"TAIL")
    archive = tmp_path / "sparse"
    subprocess.run(
        ["tar", "--sparse", f"--format={fmt}", "-cf", str(archive), "-C", str(root), "var"],
        check=True,
    )
    assert archive.stat().st_size < size // 4, "the archive must really be sparse"
    tree, report = scan(str(archive))
    data = tree.read("/var/sparse.img")
    assert len(data) == size
    assert tree.stat("/var/sparse.img").size == size
    assert data[:4] == b"HEAD"
    assert data[1 << 20 : (1 << 20) + 6] == b"MIDDLE"
    assert data[-4:] == b"TAIL"
    assert data.count(0) == size - 14
    assert report.complete


def test_trailing_hole_is_padded(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with open(root / "hole", "wb") as handle:
        handle.write(b"data")
        handle.truncate(1 << 20)
    archive = tmp_path / "trailing"
    subprocess.run(["tar", "--sparse", "-cf", str(archive), "-C", str(root), "hole"], check=True)
    tree, _ = scan(str(archive))
    data = tree.read("/hole")
    assert len(data) == 1 << 20
    assert data.startswith(b"data")


def test_scheme_prefixes_override_detection(tmp_path: Path) -> None:
    archive = to_tar(SPEC, tmp_path / "a.tar", "gzip")
    directory = to_dir(make_tree({"etc/hosts": HOSTS}), tmp_path / "rootdir")
    assert isinstance(open_source(f"tar:{archive}"), ArchiveRootfs)
    assert isinstance(open_source(f"dir:{directory}"), DirectoryRootfs)
    assert isinstance(open_source(str(directory)), DirectoryRootfs)
    tree, _ = scan(f"tar:{archive}")
    assert_spec_tree(tree)
    tree, _ = scan(f"dir:{directory}")
    assert tree.read("/etc/hosts") == HOSTS.encode()


def test_a_path_with_a_colon_that_exists_is_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    to_dir(make_tree({"etc/hosts": HOSTS}), tmp_path / "dir:x")
    assert isinstance(open_source("dir:x"), DirectoryRootfs)
    to_tar(SPEC, tmp_path / "tar:y")
    tree, _ = scan("tar:y")
    assert_spec_tree(tree)


def test_dir_scheme_on_a_file_and_tar_scheme_on_a_directory(tmp_path: Path) -> None:
    archive = to_tar(SPEC, tmp_path / "a.tar")
    with pytest.raises(SourceError, match=r"not a directory"):
        open_source(f"dir:{archive}")
    with pytest.raises(SourceError):
        scan(f"tar:{tmp_path}")


def test_unknown_scheme_and_missing_path() -> None:
    known = ", ".join(f"{name}:" for name in sorted(SCHEMES))
    assert "dir:" in known
    assert "tar:" in known
    with pytest.raises(UsageError) as caught:
        open_source("nope:x")
    assert str(caught.value) == f"nope:x: unknown scheme 'nope' (known: {known})"
    with pytest.raises(SourceError) as missing:
        open_source("/no/such/input")
    assert str(missing.value) == "/no/such/input: no such file or directory"


def test_archive_from_stdin_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = to_tar(SPEC, tmp_path / "rootfs", "zstd")
    with open(archive, "rb") as handle:
        monkeypatch.setattr(sys, "stdin", handle)
        source = open_source("-")
        assert source.target().reference == "<stdin>"
        builder = TreeBuilder([TextCapture([CapturePattern("/**", cap=64 << 20)])])
        tree = builder.build(source.layers())
        source.close()
    assert_spec_tree(tree)


def test_archive_piped_to_the_cli_on_stdin(tmp_path: Path) -> None:
    archive = to_tar(make_tree({"etc/hosts": "::1 ip6-localhost\n"}), tmp_path / "rootfs", "zstd")
    with open(archive, "rb") as handle:
        data = handle.read()
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "scan", "-", "--format", "json"],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    report = load_report(done.stdout)
    assert report["target"]["reference"] == "<stdin>"
    assert report["complete"] is True
    [evaluation] = [
        e for e in report["evaluations"] if e["rule_id"] == "k0s.name-resolution.localhost"
    ]
    assert evaluation["outcome"] == "fail"
    assert evaluation["location"]["path"] == "/etc/hosts"
    assert evaluation["message"] == (
        "localhost does not resolve without NSS: /etc/hosts has no entry for localhost"
    )


def test_reader_yields_raw_entries_in_order(tmp_path: Path) -> None:
    spec = make_tree({"a": "1", "b/c": Symlink("/a"), "d": Device("c", 4, 5)})
    archive = to_tar(spec, tmp_path / "raw", "gzip")
    fd = os.open(archive, os.O_RDONLY)
    try:
        seen = [(e.name, e.kind, e.link, e.rdev) for e, _ in ArchiveReader(fd, "raw").entries()]
    finally:
        os.close(fd)
    assert seen == [
        ("b/", Kind.DIR, None, None),
        ("a", Kind.FILE, None, None),
        ("b/c", Kind.SYMLINK, "/a", None),
        ("d", Kind.CHAR, None, (4, 5)),
    ]
