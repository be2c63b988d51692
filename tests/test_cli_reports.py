"""``--report FORMAT=FILE`` (several reports from one scan) and ``--all`` at the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import File, Item, make_tree, to_tar
from jsonreports import load_report

from analyzer.cli import main

KEY = "etc/ssh/ssh_host_ed25519_key"
FINDING = (
    f"  SSH host private key in the image: /{KEY} "
    f"(error: SSH host key baked into the image: /{KEY} (4 bytes))"
)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    tree: dict[str, Item] = {"etc/hosts": "127.0.0.1 localhost\n", KEY: File(b"key\n", mode=0o600)}
    return to_tar(make_tree(tree), tmp_path / "img.tar")


def test_one_scan_writes_every_report_asked_for(
    tmp_path: Path, image: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sarif, markdown = tmp_path / "out.sarif", tmp_path / "out.md"
    args = ["scan", str(image), "--profile", "golden-image", "--format", "json"]
    code = main([*args, "--report", f"sarif={sarif}", "--report", f"markdown={markdown}"])
    assert code == 1
    document = load_report(capsys.readouterr().out)
    [finding] = [e for e in document["evaluations"] if e["outcome"] == "fail"]
    assert finding["rule_id"] == "golden-image.ssh.host-key"
    [result] = json.loads(sarif.read_text())["runs"][0]["results"]
    assert result["ruleId"] == "golden-image.ssh.host-key"
    assert "`golden-image.ssh.host-key` SSH host private key" in markdown.read_text()


def test_a_malformed_report_option_is_a_usage_error(
    image: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["scan", str(image), "--report", "yaml=out.yaml"])
    assert stopped.value.code == 2
    assert "'yaml=out.yaml': expected FORMAT=FILE, FORMAT one of text, sarif" in (
        capsys.readouterr().err
    )


def test_text_report_shows_findings_and_every_check_only_with_all(
    image: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(image), "--profile", "golden-image"]) == 1
    short = capsys.readouterr().out.splitlines()
    assert main(["scan", str(image), "--profile", "golden-image", "--all"]) == 1
    full = capsys.readouterr().out.splitlines()
    assert FINDING in short and FINDING in full
    assert not any("(pass)" in line for line in short)
    assert short[-1] == "(--all lists every check, passing ones too)"
    passing = [line for line in full if line.endswith("(pass)")]
    summary = full[-1]
    assert summary == short[-2]
    assert summary.endswith(f"; {len(passing)} passed, 0 unknown"), (summary, passing)
