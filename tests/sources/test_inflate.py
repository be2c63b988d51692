"""Decompression on a worker thread: the same entries, bytes and errors as a single handle.

Each scenario reads one archive twice, with the worker (``threads=True``, the default for a
compressed file) and without it, and compares what comes out. The archives are several MiB
once decompressed, so the worker hands over many chunks and an error falls mid-stream.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import File, Tree, make_tree, to_tar

from analyzer.errors import SourceError
from analyzer.sources.archive import ArchiveReader
from analyzer.sources.container.digest import Window
from analyzer.sources.inflate import CHUNK, compressed

CODECS = ("gzip", "zstd", "xz", "bzip2", "lz4")
FILES = 24
FILE_SIZE = 300_000


def _tree() -> Tree:
    rng = random.Random(11)
    words = [b"alpha", b"beta", b"gamma", b"kernel", b"module", b"k0s", b"\x7fELF", b"\x00"]
    files = {
        f"usr/share/f{i:02}": File(b" ".join(rng.choice(words) for _ in range(FILE_SIZE // 5)))
        for i in range(FILES)
    }
    return make_tree({"etc/hosts": "127.0.0.1 localhost\n", **files})


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("inflate")
    tree = _tree()
    return {codec: to_tar(tree, out / f"tree.tar.{codec}", codec) for codec in CODECS}


def _read(path: Path, threads: bool, wanted: str = "") -> tuple[list[tuple[str, str]], str]:
    """(name, sha256 of the bytes read or "skipped") per entry, and the error, if any."""
    seen: list[tuple[str, str]] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        for entry, blocks in ArchiveReader(fd, str(path), threads=threads).entries():
            if wanted in entry.name:
                digest = hashlib.sha256()
                for block in blocks():
                    digest.update(block)
                seen.append((entry.name, digest.hexdigest()))
            else:
                seen.append((entry.name, "skipped"))
    except SourceError as exc:
        return seen, str(exc)
    finally:
        os.close(fd)
    return seen, ""


def _inflaters() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("inflate ")]


@pytest.mark.parametrize("codec", CODECS)
def test_worker_gives_the_same_entries_and_bytes(archives: dict[str, Path], codec: str) -> None:
    path = archives[codec]
    assert compressed(path.read_bytes()[:8])
    threaded, error = _read(path, threads=True)
    assert error == ""
    assert threaded == _read(path, threads=False)[0]
    assert len(threaded) == FILES + 4  # the files, /etc/hosts, /etc, /usr and /usr/share
    assert not _inflaters()


@pytest.mark.parametrize("codec", CODECS)
def test_worker_gives_the_same_skips(archives: dict[str, Path], codec: str) -> None:
    threaded, error = _read(archives[codec], threads=True, wanted="f1")
    assert error == ""
    assert threaded == _read(archives[codec], threads=False, wanted="f1")[0]
    assert ("usr/share/f03", "skipped") in threaded


@pytest.mark.parametrize("codec", ["gzip", "zstd", "xz"])
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_error_mid_stream_keeps_entries_and_message(
    archives: dict[str, Path], tmp_path: Path, codec: str, damage: str
) -> None:
    data = bytearray(archives[codec].read_bytes())
    middle = len(data) * 2 // 3
    if damage == "truncated":
        del data[middle:]
    else:
        for index in range(middle, middle + 64):
            data[index] ^= 0x5A
    path = tmp_path / "damaged"
    path.write_bytes(bytes(data))
    single, single_error = _read(path, threads=False, wanted="/")
    threaded, threaded_error = _read(path, threads=True, wanted="/")
    assert single_error.startswith(f"{path}: corrupt archive: ")
    assert threaded_error == single_error
    assert threaded == single
    assert len(threaded) * FILE_SIZE > 2 * CHUNK, "the error must fall after several chunks"
    assert not _inflaters()


def test_stopping_early_stops_the_worker(archives: dict[str, Path]) -> None:
    fd = os.open(archives["zstd"], os.O_RDONLY)
    try:
        entries: Iterator[object] = ArchiveReader(fd, "early").entries()
        next(entries)
        assert [t.name for t in _inflaters()] == ["inflate early"]
        entries.close()  # type: ignore[attr-defined]
        assert not _inflaters()
        assert os.fstat(fd).st_size > 0, "the caller's descriptor stays open"
    finally:
        os.close(fd)


def test_plain_tar_and_pipes_use_no_worker(archives: dict[str, Path], tmp_path: Path) -> None:
    plain = to_tar(_tree(), tmp_path / "plain.tar")
    fd = os.open(plain, os.O_RDONLY)
    try:
        entries = ArchiveReader(fd, "plain").entries()
        next(entries)
        assert not _inflaters()
        entries.close()
    finally:
        os.close(fd)
    read_end, write_end = os.pipe()
    try:
        assert not ArchiveReader(read_end, "pipe")._worker_helps()
    finally:
        os.close(read_end)
        os.close(write_end)


def _read_window(path: Path, size: int, threads: bool) -> tuple[list[tuple[str, str]], str, str]:
    """Like ``_read`` through a :class:`Window` of ``size`` bytes, plus the window's digest."""
    seen: list[tuple[str, str]] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        window = Window(fd, 0, size, "layer")
        reader = ArchiveReader(
            window.read, "layer", size=size, reopen=window.reread, threads=threads
        )
        try:
            for entry, blocks in reader.entries():
                digest = hashlib.sha256()
                for block in blocks():
                    digest.update(block)
                seen.append((entry.name, digest.hexdigest()))
        except SourceError as exc:
            return seen, str(exc), ""
        window.drain()
        return seen, "", window.hexdigest()
    finally:
        os.close(fd)


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_layer_window_gives_the_same_entries_and_digest(
    archives: dict[str, Path], codec: str
) -> None:
    path = archives[codec]
    size = path.stat().st_size
    threaded = _read_window(path, size, threads=True)
    assert threaded == _read_window(path, size, threads=False)
    assert threaded[2] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not _inflaters()


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_layer_window_cut_short_fails_at_the_same_entry(
    archives: dict[str, Path], codec: str
) -> None:
    """The window claims more bytes than the file has: ``Window.read`` raises mid-stream."""
    path = archives[codec]
    data = path.read_bytes()
    cut = path.with_name(f"cut-{codec}")
    cut.write_bytes(data[: len(data) * 2 // 3])
    single = _read_window(cut, len(data), threads=False)
    threaded = _read_window(cut, len(data), threads=True)
    assert single[1] == f"layer: truncated ({len(data) * 2 // 3} of {len(data)} bytes)"
    assert threaded == single
    assert len(threaded[0]) * FILE_SIZE > 2 * CHUNK
