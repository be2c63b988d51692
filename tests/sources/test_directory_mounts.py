"""The directory walk stays on the root's file system (``find -xdev``)."""

from __future__ import annotations

import os

from analyzer.model import Level
from analyzer.sources.directory import DirectorySource
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
