"""The directory source: stays on the root's file system, turns read errors into notes."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from analyzer.analyzers.text import TextCapture
from analyzer.model import Level
from analyzer.sources.directory import DirectorySource
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.build import TreeBuilder


def test_walk_does_not_descend_into_another_file_system() -> None:
    """``/dev/shm`` is its own tmpfs inside devtmpfs ``/dev`` on Linux machines."""
    assert os.lstat("/dev").st_dev != os.lstat("/dev/shm").st_dev
    source = DirectorySource("/dev")
    tree = TreeBuilder([]).build(source.layers())
    assert tree.lstat("/shm").is_dir
    assert tree.listdir("/shm") == []
    notes = [n for n in source.notifications if n.code == "entry.mountpoint"]
    assert "/shm: another file system is mounted here; not scanned" in [n.message for n in notes]
    assert all(n.level is Level.NOTE for n in notes)


class _FailingHandle:
    """A file object whose reads fail as a dying disk's would."""

    def __enter__(self) -> _FailingHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        del exc

    def read(self, size: int) -> bytes:
        raise OSError(errno.EIO, "Input/output error")


def _eio(*args: object, **kwargs: object) -> bytes:
    raise OSError(errno.EIO, "Input/output error")


@pytest.mark.parametrize("failing", ["pread", "fdopen"])
def test_a_read_error_is_a_notification_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A head read (``pread``) or a streamed read (``fdopen``) fails: one note, no crash."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hosts").write_text("127.0.0.1 localhost\n" * 20)
    (tmp_path / "etc" / "hostname").write_text("node\n")
    source = DirectorySource(str(tmp_path))
    if failing == "pread":
        monkeypatch.setattr("analyzer.sources.directory.os.pread", _eio)
    else:
        monkeypatch.setattr(
            "analyzer.sources.directory.os.fdopen", lambda *a, **k: _FailingHandle()
        )
    builder = TreeBuilder([TextCapture([CapturePattern("/etc/hosts")])])
    tree = builder.build(source.layers())
    assert tree.listdir("/etc") == ["hostname", "hosts"]
    notes = [(n.level, n.code, n.message) for n in builder.report.notifications]
    assert notes == [
        (
            Level.ERROR,
            "entry.unreadable",
            f"{tmp_path}/etc/hosts: cannot read: Input/output error",
        )
    ]
