"""libarchive's warnings and empty archives are notifications of the run, never stray stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from builders import make_tree, to_tar
from clirun import run_cli
from jsonreports import load_report

from analyzer.cli import main

HOSTS = "127.0.0.1 localhost\n"


def scan(target: str, tmp: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The JSON report of ``target``; nothing at all may reach stdout or stderr."""
    report = tmp / "report.json"
    assert main(["scan", target, "--format", "json", "-o", str(report), "--fail-on", "none"]) == 0
    assert capsys.readouterr() == ("", "")
    document = load_report(report.read_text())
    return document


def damaged_cpio(tmp: Path) -> Path:
    """A cpio with 12 bytes of junk before its second header."""
    tree = make_tree({"etc/hosts": HOSTS, "etc/motd": "x" * 3000, "etc/z": "z\n"})
    data = bytearray(to_tar(tree, tmp / "good.cpio", fmt="cpio_newc").read_bytes())
    second = data.index(b"070701", 1)
    data[second:second] = b"JUNK" * 3
    path = tmp / "damaged.cpio"
    path.write_bytes(data)
    return path


def test_skipped_bytes_in_a_damaged_cpio_are_a_notification(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = damaged_cpio(tmp_path)
    report = scan(str(path), tmp_path, capsys)
    warnings = [n for n in report["notifications"] if n["code"] == "source.archive-warning"]
    assert warnings == [
        {
            "level": "error",
            "code": "source.archive-warning",
            "message": f"{path}: Skipped 12 bytes before finding valid header",
            "location": None,
        }
    ]
    assert report["complete"] is False


def test_damaged_cpio_on_stdin_writes_nothing_but_the_report(tmp_path: Path) -> None:
    path = damaged_cpio(tmp_path)
    result = run_cli("scan", "-", "--format", "json", "--fail-on", "none", stdin=path.read_bytes())
    assert (result.returncode, result.stderr) == (0, b"")
    [note] = [n for n in load_report(result.stdout)["notifications"] if n["level"] == "error"]
    assert note["message"] == "<stdin>: Skipped 12 bytes before finding valid header"


@pytest.mark.parametrize(
    ("fmt", "compression"),
    [("cpio_newc", None), ("pax", "gzip"), ("pax", "xz"), ("pax", "zstd"), ("cpio_newc", "lz4")],
)
def test_an_archive_with_no_entries_says_so(
    fmt: str, compression: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = to_tar(make_tree({}), tmp_path / "empty", compression, fmt=fmt)
    report = scan(str(path), tmp_path, capsys)
    assert [n for n in report["notifications"] if n["code"].startswith("source.")] == [
        {
            "level": "warning",
            "code": "source.empty-archive",
            "message": f"{path}: the archive holds no entries; there was nothing to check",
            "location": None,
        }
    ]
