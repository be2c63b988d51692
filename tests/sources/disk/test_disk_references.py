"""Backing files and extents an image names stay inside its directory, unless the user allows one.

A canary file is planted on the host, outside the image's directory; images name it by
absolute path, by ``../..`` and through a symbolic link next to the image. ``strace`` proves
that the canary is never opened, and each refusal is one ``imgaudit:`` line naming the reference.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clirun import ROOT
from disk_builders import MIB, build_gpt_disk, run

from analyzer.errors import SourceError
from analyzer.sources.disk.formats import open_image
from analyzer.sources.disk.refs import References

CANARY = "canary-3d1f.img"

#: Runs the CLI once per image in one process, so one ``strace`` covers every case.
SCANS = r"""
import sys
from analyzer.cli import main
for image in sys.argv[1:]:
    code = main(["scan", image, "--format", "json", "-o", "/dev/null"])
    sys.stderr.write(f"== {image} exit {code}\n")
"""


def overlay(path: Path, backing: str, fmt: str = "raw") -> Path:
    """A qcow2 image of 1 MiB whose backing file is ``backing`` (which need not exist)."""
    run("qemu-img", "create", "-q", "-u", "-f", "qcow2", "-b", backing, "-F", fmt, str(path), "1M")
    return path


def descriptor(path: Path, extent: str) -> Path:
    """A vmdk descriptor with one FLAT extent named ``extent``."""
    path.write_text(f'# Disk DescriptorFile\nversion=1\nRW 2048 FLAT "{extent}" 0\n')
    return path


@pytest.fixture
def host(tmp_path: Path) -> tuple[Path, Path]:
    """``(canary, images)``: a canary in one directory, images two levels down another."""
    secret = tmp_path / "host"
    secret.mkdir()
    canary = secret / CANARY
    canary.write_bytes(b"host secret\n" * 100_000)
    images = tmp_path / "upload" / "job"
    images.mkdir(parents=True)
    (images / "link.img").symlink_to(canary)
    return canary, images


def hostile_images(canary: Path, images: Path) -> dict[Path, str]:
    """Each hostile image and the reference its error must name."""
    up = f"../../host/{CANARY}"
    return {
        overlay(images / "absolute.qcow2", str(canary)): str(canary),
        overlay(images / "dotdot.qcow2", up): up,
        overlay(images / "symlink.qcow2", "link.img"): "link.img",
        descriptor(images / "absolute.vmdk", str(canary)): str(canary),
        descriptor(images / "dotdot.vmdk", up): up,
        descriptor(images / "symlink.vmdk", "link.img"): "link.img",
    }


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_canary_outside_the_image_directory_is_never_opened(host: tuple[Path, Path]) -> None:
    canary, images = host
    cases = hostile_images(canary, images)
    trace = images.parent / "trace.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    strace = ["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", str(trace)]
    result = subprocess.run(
        [*strace, sys.executable, "-c", SCANS, *map(str, cases)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    opens = trace.read_text()
    assert "openat(" in opens and "absolute.qcow2" in opens, "strace saw the images opened"
    assert CANARY not in opens, [line for line in opens.splitlines() if CANARY in line]
    lines = result.stderr.splitlines()
    assert len(lines) == 2 * len(cases), result.stderr
    pairs = zip(lines[::2], lines[1::2], strict=True)
    for (image, reference), (error, status) in zip(cases.items(), pairs, strict=True):
        assert status == f"== {image} exit 2"
        what = "backing file" if image.suffix == ".qcow2" else "vmdk extent"
        assert error == (
            f"imgaudit: {image.name}: {what} {reference!r} is outside the image's directory; "
            "name it with --backing-file to allow it"
        )


def test_backing_file_named_by_the_user_is_opened(tmp_path: Path) -> None:
    disk = build_gpt_disk(tmp_path)
    elsewhere = tmp_path / "images"
    elsewhere.mkdir()
    image = overlay(elsewhere / "top.qcow2", str(disk))
    with pytest.raises(SourceError, match="is outside the image's directory"):
        open_image(str(image))
    opened = open_image(str(image), References((str(disk),)))
    try:
        assert opened.device.read(0, MIB) == disk.read_bytes()[:MIB]
    finally:
        opened.close()


def test_links_and_subdirectories_inside_the_image_directory_are_followed(
    tmp_path: Path,
) -> None:
    disk = build_gpt_disk(tmp_path)
    base = tmp_path / "base"
    base.mkdir()
    run("qemu-img", "convert", "-q", "-O", "qcow2", str(disk), str(base / "base-2024.qcow2"))
    (tmp_path / "current.qcow2").symlink_to("base/base-2024.qcow2")
    # the backing format is probed: the header claims raw, the content is qcow2
    image = overlay(tmp_path / "top.qcow2", "current.qcow2", fmt="raw")
    opened = open_image(str(image))
    try:
        assert opened.device.read(0, MIB) == disk.read_bytes()[:MIB]
    finally:
        opened.close()


def test_backing_file_that_is_a_directory_or_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for reference, problem in (("sub", "is not a regular file"), ("gone.img", "not found")):
        image = overlay(tmp_path / f"{reference}.qcow2", reference)
        with pytest.raises(SourceError, match=f"backing file {reference!r} {problem}"):
            open_image(str(image))
