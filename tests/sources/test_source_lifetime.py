"""A closed source refuses every read, whatever reuses its file descriptor.

The regression: collectors ran after the pipeline closed a disk source, so a lazy read went
through the released descriptor: ``Bad file descriptor``, or, once another open had been given
the same number, the bytes of *another file* with no error at all.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from builders import Symlink, make_tree, to_dir, to_tar
from disk_builders import DISK_FORMATS, convert, to_disk

from analyzer.errors import ClosedSourceError, SourceError
from analyzer.sources import open_source
from analyzer.sources.archive import MOVED_ON, ArchiveReader
from analyzer.sources.base import open_read_only
from analyzer.sources.disk.device import FileDevice
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree

HOSTS = b"127.0.0.1 localhost\n"
TREE = make_tree(
    {
        "etc/hosts": Symlink("/opt/hosts"),
        "opt/hosts": HOSTS,
        "opt/other": "x" * 100,
    }
)


def descriptors_of(path: Path) -> list[int]:
    """This process's open descriptors of ``path``."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == str(path):
                found.append(int(name))
        except OSError:
            continue
    return found


def reuse(numbers: list[int], decoy: Path) -> list[int]:
    """Open ``decoy`` until one of ``numbers`` is handed out again; the descriptors opened."""
    opened: list[int] = []
    while not set(numbers) & set(opened) and len(opened) < 64:
        opened.append(os.open(decoy, os.O_RDONLY))
    return opened


@pytest.fixture(scope="module")
def raw_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tree as an ext4 root on a raw GPT disk, built once."""
    return to_disk(TREE, tmp_path_factory.mktemp("lifetime") / "disk.raw")


@pytest.mark.parametrize("fmt", ["raw", "qcow2-zlib"])
def test_a_closed_disk_refuses_reads_when_its_descriptor_is_reused(
    raw_disk: Path, tmp_path: Path, fmt: str
) -> None:
    image = raw_disk if fmt == "raw" else convert(raw_disk, tmp_path / "disk.img", "qcow2", "-c")
    source = open_source(str(image))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/etc/hosts") == HOSTS, "the open source reads the file behind the link"
    numbers = descriptors_of(image)
    assert numbers, "the source holds the image open"
    source.close()
    assert descriptors_of(image) == []
    decoy = tmp_path / "decoy"
    decoy.write_bytes(b"#" * (1 << 20))
    opened = reuse(numbers, decoy)
    try:
        assert set(numbers) & set(opened), "the image's descriptor number was handed out again"
        with pytest.raises(ClosedSourceError) as caught:
            tree.read("/etc/hosts")
        assert str(caught.value) == f"{image.name}: read after the source was closed"
    finally:
        for fd in opened:
            os.close(fd)


def test_every_disk_format_refuses_reads_after_close(raw_disk: Path, tmp_path: Path) -> None:
    """Caches above the file (decompressed clusters, grain tables) do not answer either."""
    for fmt, options in DISK_FORMATS.items():
        image = convert(raw_disk, tmp_path / f"disk.{fmt}", *options) if options else raw_disk
        source = open_source(str(image))
        tree = TreeBuilder([]).build(source.layers())
        assert tree.read("/opt/hosts") == HOSTS
        source.close()
        with pytest.raises(ClosedSourceError, match="read after the source was closed"):
            tree.read("/opt/hosts")


def test_a_closed_directory_refuses_reads(tmp_path: Path) -> None:
    root = to_dir(TREE, tmp_path / "rootfs")
    source = open_source(str(root))
    tree: Tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/etc/hosts") == HOSTS
    source.close()
    with pytest.raises(ClosedSourceError) as caught:
        tree.read("/etc/hosts")
    assert str(caught.value) == f"{root}: read after the source was closed"


def test_an_archive_entry_refuses_reads_once_the_stream_moved_on(tmp_path: Path) -> None:
    archive = to_tar(TREE, tmp_path / "rootfs.tar")
    fd = os.open(archive, os.O_RDONLY)
    try:
        entries = ArchiveReader(fd, "rootfs.tar").entries()
        blocks = next(blocks for entry, blocks in entries if entry.name == "opt/hosts")
        assert b"".join(blocks()) == HOSTS
        following, last = next(entries)
        assert following.name == "opt/other"
        with pytest.raises(ClosedSourceError) as caught:
            b"".join(blocks())
        assert str(caught.value) == f"rootfs.tar: read after {MOVED_ON}"
        entries.close()
        with pytest.raises(ClosedSourceError, match="read after the source was closed"):
            b"".join(last())
    finally:
        os.close(fd)


def test_a_closed_file_device_refuses_reads(raw_disk: Path) -> None:
    device = FileDevice(str(raw_disk))
    assert len(device.read(0, 512)) == 512
    device.close()
    device.close()
    with pytest.raises(ClosedSourceError, match=r"^disk\.raw: read after the source was closed$"):
        device.read(0, 512)


def test_an_input_file_is_opened_read_only_or_named_in_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "layer.tar"
    path.write_bytes(b"data")
    fd = open_read_only(str(path))
    try:
        assert os.pread(fd, 4, 0) == b"data"
        with pytest.raises(OSError):
            os.write(fd, b"x")
    finally:
        os.close(fd)
    with pytest.raises(SourceError) as raised:
        open_read_only(str(tmp_path / "gone.tar"))
    assert str(raised.value) == f"{tmp_path}/gone.tar: cannot open: No such file or directory"
