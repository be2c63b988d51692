"""``imgaudit scan --baseline`` and ``.imgaudit.yaml`` from the command line, on real scans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from builders import File, make_tree, to_dir
from clirun import one_line_error, run_cli
from report.validate import validate_sarif

MACHINE_ID = "0123456789abcdef0123456789abcdef"
BASE = {
    "etc/machine-id": File(f"{MACHINE_ID}\n"),
    "etc/hostname": File("buildhost\n"),
    "etc/hosts": File("127.0.0.1 localhost\n"),
}
SCAN = ("scan", "--profile", "golden-image", "--fail-on", "warning", "-q")


def sarif_results(path: Path) -> list[dict[str, Any]]:
    """The results of a SARIF file, after validating it."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    validate_sarif(doc)
    results: list[dict[str, Any]] = doc["runs"][0]["results"]
    return results


def states(path: Path) -> list[tuple[str, str, str]]:
    """``(ruleId, baselineState, in-image path)`` of each result."""
    return [(r["ruleId"], r["baselineState"], r["properties"]["path"]) for r in sarif_results(path)]


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A root with a machine ID and a host name, and the SARIF of its scan."""
    work = tmp_path_factory.mktemp("baseline")
    root = to_dir(make_tree(BASE), work / "root")
    done = run_cli(*SCAN, str(root), "--format", "sarif", "-o", str(work / "first.sarif"))
    assert done.returncode == 1, done.stderr
    return root, work / "first.sarif"


def test_nothing_new_exits_0(first: tuple[Path, Path], tmp_path: Path) -> None:
    root, baseline = first
    out = tmp_path / "second.sarif"
    done = run_cli(*SCAN, str(root), "--baseline", str(baseline), "--report", f"sarif={out}")
    assert done.returncode == 0, done.stderr
    assert states(out) == [
        ("golden-image.machine-id.populated", "unchanged", "/etc/machine-id"),
        ("golden-image.hostname", "unchanged", "/etc/hostname"),
    ]
    lines = done.stdout.decode().splitlines()
    assert f"Baseline: {baseline}: 0 new, 2 unchanged, 0 updated, 0 absent" in lines
    # the findings are still there, and count when asked to
    again = run_cli(*SCAN, str(root), "--baseline", str(baseline), "--fail-on-baseline")
    assert again.returncode == 1


def test_new_finding_exits_1_and_fixed_is_absent(first: tuple[Path, Path], tmp_path: Path) -> None:
    root, baseline = first
    changed = shutil.copytree(root, tmp_path / "root")
    (changed / "etc/machine-id").write_text("1\n", encoding="utf-8")
    (changed / "etc/hostname").unlink()
    out = tmp_path / "second.sarif"
    done = run_cli(
        *SCAN, str(changed), "--baseline", str(baseline), "--format", "sarif", "-o", str(out)
    )
    assert done.returncode == 1, done.stderr
    assert states(out) == [
        ("golden-image.machine-id.invalid", "new", "/etc/machine-id"),
        ("golden-image.hostname", "absent", "/etc/hostname"),
        ("golden-image.machine-id.populated", "absent", "/etc/machine-id"),
    ]
    new = sarif_results(out)[0]
    assert new["message"]["text"] == (
        "/etc/machine-id holds '1', which is neither empty, 'uninitialized' nor a 32-digit "
        "hexadecimal ID"
    )


def test_suppression_file_in_the_current_directory(
    first: tuple[Path, Path], tmp_path: Path
) -> None:
    root, baseline = first
    changed = shutil.copytree(root, tmp_path / "root")
    (changed / "etc/machine-id").write_text("1\n", encoding="utf-8")
    (tmp_path / ".imgaudit.yaml").write_text(
        "suppressions:\n"
        "  - rule: golden-image.machine-id.*\n"
        "    path: /etc/machine-id\n"
        "    reason: rewritten by the first-boot service\n",
        encoding="utf-8",
    )
    out = tmp_path / "second.sarif"
    done = run_cli(
        *SCAN, str(changed), "--baseline", str(baseline), "--report", f"sarif={out}", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout.decode()
    new = sarif_results(out)[0]
    assert (new["ruleId"], new["baselineState"]) == ("golden-image.machine-id.invalid", "new")
    assert new["suppressions"][0]["justification"] == "rewritten by the first-boot service"
    lines = done.stdout.decode().splitlines()
    assert (
        "  golden-image.machine-id.invalid at /etc/machine-id:1: rewritten by the first-boot "
        "service (.imgaudit.yaml:2)" in lines
    )


def test_bad_inputs_are_one_line_errors(first: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = first
    text = tmp_path / "report.txt"
    text.write_text("not sarif\n", encoding="utf-8")
    done = run_cli(*SCAN, str(root), "--baseline", str(text))
    assert one_line_error(done).startswith(f"imgaudit: {text}: the baseline is not JSON")
    config = tmp_path / "config.yaml"
    config.write_text("suppressions:\n  - rule: x\n    reason: r\n    expires: soon\n")
    done = run_cli(*SCAN, str(root), "--config", str(config))
    assert one_line_error(done) == (
        f"imgaudit: {config}:2: 'expires' must be a date (YYYY-MM-DD), not 'soon'"
    )
