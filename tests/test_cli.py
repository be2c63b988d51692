"""The command line: rules list/show, usage errors, --fail-on thresholds, --strict, --output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import Symlink, make_tree, to_dir, to_tar
from clirun import one_line_error, run_cli
from jsonreports import load_report

from analyzer.cli import FAIL_ON, main

RULE = "k0s.name-resolution.localhost"
LEVELS = ("error", "warning", "note")
#: Exit code for each (level of the failing rule, --fail-on).
EXPECTED = {
    ("error", "error"): 1, ("error", "warning"): 1, ("error", "note"): 1, ("error", "none"): 0,
    ("warning", "error"): 0, ("warning", "warning"): 1, ("warning", "note"): 1,
    ("warning", "none"): 0,
    ("note", "error"): 0, ("note", "warning"): 0, ("note", "note"): 1, ("note", "none"): 0,
}  # fmt: skip


def pack(tmp_path: Path, level: str) -> Path:
    """A user pack whose only rule (profile ``cli-test``) checks localhost at ``level``."""
    path = tmp_path / f"pack-{level}.yaml"
    path.write_text(
        f"""schema: 1
pack: cli-test
defaults:
  profiles: [cli-test]
rules:
  - id: cli-test.localhost.{level}
    title: localhost at {level}
    description: test rule
    level: {level}
    check:
      localhost_resolves: {{}}
    message: "no localhost: {{detail}}"
    help: Add `127.0.0.1 localhost` to /etc/hosts.
"""
    )
    return path


@pytest.fixture
def no_hosts(tmp_path: Path) -> Path:
    return to_dir(make_tree({"etc/hostname": "node\n"}), tmp_path / "no-hosts")


@pytest.fixture
def good_hosts(tmp_path: Path) -> Path:
    return to_dir(make_tree({"etc/hosts": "127.0.0.1 localhost\n"}), tmp_path / "good-hosts")


def test_rules_list() -> None:
    done = run_cli("rules", "list")
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    [line] = [line for line in lines if line.split()[0] == RULE]
    assert line.split()[1:3] == ["error", "k0s"]
    assert line.endswith("Name resolution: localhost")
    ids = [line.split()[0] for line in lines]
    assert len(ids) == len(set(ids))


def test_rules_list_includes_a_user_pack(tmp_path: Path) -> None:
    done = run_cli("rules", "list", "--rules", str(pack(tmp_path, "note")))
    assert done.returncode == 0
    [line] = [ln for ln in done.stdout.decode().splitlines() if ln.startswith("cli-test.")]
    assert line.split()[:3] == ["cli-test.localhost.note", "note", "cli-test"]


def test_rules_show() -> None:
    done = run_cli("rules", "show", RULE)
    assert done.returncode == 0
    text = done.stdout.decode()
    assert text.startswith(f"{RULE}: Name resolution: localhost\n")
    assert "level: error" in text
    assert "profiles: k0s" in text
    assert "defined at: rules/k0s.yaml:" in text
    assert "127.0.0.1 localhost" in text
    assert "::1 localhost" in text


def test_rules_show_unknown_rule_exits_2() -> None:
    message = one_line_error(run_cli("rules", "show", "k0s.no.such.rule"))
    assert message == "imgaudit: no rule 'k0s.no.such.rule' (see 'imgaudit rules list')"


def test_unknown_profile_exits_2(good_hosts: Path) -> None:
    message = one_line_error(run_cli("scan", str(good_hosts), "--profile", "nope"))
    assert message.startswith("imgaudit: unknown profile 'nope' (known: ")
    assert "k0s" in message


def test_bad_user_pack_exits_2_naming_file_and_line(tmp_path: Path, good_hosts: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(pack(tmp_path, "note").read_text().replace("level: note", "level: fatal"))
    message = one_line_error(run_cli("scan", str(good_hosts), "--rules", str(bad)))
    assert message == (
        f"imgaudit: {bad}:9: rule 'cli-test.localhost.note': unknown level 'fatal'"
        " (error, warning, note)"
    )


def test_argparse_usage_error_exits_2(good_hosts: Path) -> None:
    done = run_cli("scan", str(good_hosts), "--fail-on", "sometimes")
    assert done.returncode == 2
    assert b"invalid choice: 'sometimes'" in done.stderr
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("fail_on", list(FAIL_ON))
@pytest.mark.parametrize("level", LEVELS)
def test_fail_on_thresholds(
    tmp_path: Path, no_hosts: Path, level: str, fail_on: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--rules", str(pack(tmp_path, level)), "--profile", "cli-test", "--format", "json"]
    code = main(["scan", str(no_hosts), *args, "--fail-on", fail_on])
    out, err = capsys.readouterr()
    assert (code, err) == (EXPECTED[(level, fail_on)], "")
    [evaluation] = load_report(out)["evaluations"]
    assert evaluation["rule_id"] == f"cli-test.localhost.{level}"
    assert evaluation["outcome"] == "fail"
    assert evaluation["level"] == level
    assert evaluation["message"] == "no localhost: /etc/hosts does not exist"


@pytest.mark.parametrize("level", LEVELS)
def test_a_passing_rule_exits_0_at_every_threshold(
    tmp_path: Path, good_hosts: Path, level: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--rules", str(pack(tmp_path, level)), "--profile", "cli-test", "--all"]
    for fail_on in FAIL_ON:
        assert main(["scan", str(good_hosts), *args, "--fail-on", fail_on]) == 0
        assert "localhost at" in capsys.readouterr().out


def _truncated(tmp_path: Path) -> Path:
    spec = make_tree(
        {"etc/hosts": "127.0.0.1 localhost\n", **{f"usr/f{i}": "x" * 20000 for i in range(5)}}
    )
    data = to_tar(spec, tmp_path / "full").read_bytes()
    path = tmp_path / "truncated.tar"
    path.write_bytes(data[: len(data) // 2])
    return path


def test_strict_exits_3_on_a_partial_report(tmp_path: Path) -> None:
    path = _truncated(tmp_path)
    args = ["--rules", str(pack(tmp_path, "error")), "--profile", "cli-test"]
    assert run_cli("scan", str(path), *args).returncode == 0
    strict = run_cli("scan", str(path), *args, "--strict")
    assert strict.returncode == 3
    assert b"partial" in strict.stdout


def test_findings_win_over_strict(tmp_path: Path) -> None:
    spec = make_tree({"etc/hostname": "x\n", **{f"usr/f{i}": "x" * 20000 for i in range(5)}})
    data = to_tar(spec, tmp_path / "full").read_bytes()
    path = tmp_path / "cut"
    path.write_bytes(data[: len(data) // 2])
    args = ["--rules", str(pack(tmp_path, "error")), "--profile", "cli-test", "--strict"]
    assert run_cli("scan", str(path), *args).returncode == 1


def test_strict_on_a_complete_scan_exits_0(tmp_path: Path, good_hosts: Path) -> None:
    args = ["--rules", str(pack(tmp_path, "error")), "--profile", "cli-test", "--strict"]
    assert run_cli("scan", str(good_hosts), *args).returncode == 0


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_output_file(tmp_path: Path, no_hosts: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    args = ["--rules", str(pack(tmp_path, "error")), "--profile", "cli-test"]
    done = run_cli("scan", str(no_hosts), *args, "--format", fmt, "--output", str(out))
    assert done.returncode == 1
    assert done.stdout == b""
    text = out.read_text(encoding="utf-8")
    assert "no localhost: /etc/hosts does not exist" in text
    if fmt == "json":
        assert load_report(text)["evaluations"][0]["outcome"] == "fail"
    if fmt == "sarif":
        sarif = json.loads(text)
        assert sarif["version"] == "2.1.0"
        [result] = sarif["runs"][0]["results"]
        assert result["ruleId"] == "cli-test.localhost.error"
        assert result["level"] == "error"


def test_output_to_an_unwritable_place_exits_2(tmp_path: Path, good_hosts: Path) -> None:
    target = tmp_path / "no-such-dir" / "report.json"
    message = one_line_error(run_cli("scan", str(good_hosts), "--output", str(target)))
    assert message.startswith(f"imgaudit: {target}: ")


def test_text_output_without_a_tty_has_no_colour(tmp_path: Path, no_hosts: Path) -> None:
    args = ["--rules", str(pack(tmp_path, "error")), "--profile", "cli-test"]
    done = run_cli("scan", str(no_hosts), *args)
    assert b"\x1b[" not in done.stdout
    assert b"no localhost: /etc/hosts does not exist" in done.stdout
    forced = run_cli("scan", str(no_hosts), *args, "--color", "always")
    assert b"\x1b[" in forced.stdout


@pytest.mark.parametrize(("level", "strict_code"), [("error", 3), ("warning", 3), ("note", 0)])
def test_strict_exits_3_when_an_error_or_warning_level_check_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], level: str, strict_code: int
) -> None:
    """A stream cannot go back for /etc/hosts behind a link out of /etc: not verified."""
    spec = make_tree({"etc/hosts": Symlink("/srv/hosts"), "srv/hosts": "127.0.0.1 localhost\n"})
    archive = to_tar(spec, tmp_path / "rootfs.tar")
    args = ["scan", str(archive), "--rules", str(pack(tmp_path, level)), "--profile", "cli-test"]
    assert main(args) == 0
    report = capsys.readouterr().out
    assert "unknown: /etc/hosts: content not captured" in report
    verdict = f"(not verified: 1 {level}-level check could not be decided)"
    assert (verdict in report) is (strict_code == 3)
    assert main([*args, "--strict"]) == strict_code
