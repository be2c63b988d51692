"""Detection opens a bare target once; every detector reads the same probe of its head."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any

import pytest
from builders import make_tree, to_tar
from disk_builders import convert, mkfs_ext4, write_tree
from imagebuild import Image, docker_files, layer, write_tar

from analyzer.sources import detect
from analyzer.sources.probe import HEAD_BYTES, Probe

#: input -> the detector expected to take it
EXPECTED = {
    "root.tar": "tar",
    "root.tar.gz": "tar",
    "image.tar": "image-archive",
    "fs.img": "disk",
    "fs.qcow2": "disk",
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("probe")
    tree = make_tree({"etc/hostname": "probe\n"})
    to_tar(tree, tmp / "root.tar")
    to_tar(tree, tmp / "root.tar.gz", "gzip")
    files, links = docker_files(Image([layer(tmp, tree)], config={}), "probe:1")
    write_tar(files, tmp / "image.tar", links)
    raw = mkfs_ext4(write_tree(tmp / "t", {"etc/hostname": "probe\n"}), tmp / "fs.img", 4)
    convert(raw, tmp / "fs.qcow2", "qcow2")
    return tmp


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detection_opens_the_input_once(
    name: str, inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(inputs / name)
    opened: list[str] = []
    os_open, open_ = os.open, builtins.open

    def counting_os_open(file: Any, *args: Any, **kwargs: Any) -> int:
        if os.fspath(file) == path:
            opened.append("os.open")
        return os_open(file, *args, **kwargs)

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == path:
            opened.append("open")
        return open_(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_os_open)
    monkeypatch.setattr(builtins, "open", counting_open)
    with Probe.open(path) as probe:
        found, _ = detect(probe)
    assert (found, opened) == (EXPECTED[name], ["os.open"])


def test_probe_reads_like_a_device_from_its_head_and_tail(inputs: Path) -> None:
    path = inputs / "fs.qcow2"
    data = path.read_bytes()
    with Probe.open(str(path)) as probe:
        assert (probe.size, probe.head, probe.tail) == (len(data), data[:HEAD_BYTES], data[-512:])
        assert probe.read(len(data) - 8, 100) == data[-8:]
        assert probe.read(HEAD_BYTES - 4, 8) == data[HEAD_BYTES - 4 : HEAD_BYTES + 4]
        assert probe.read(len(data), 1) == b"" and probe.read(-1, 4) == b""
        assert os.lseek(probe.rewound(), 0, os.SEEK_CUR) == 0
    assert not probe.is_file
