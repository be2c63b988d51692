"""Baselines: findings compared by fingerprint with an earlier run's SARIF log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonreports import load_report
from report.factory import evaluation, result, rule
from report.validate import validate_sarif

from analyzer.errors import UsageError
from analyzer.model import BaselineState, Level, RunResult
from analyzer.report import json as json_report
from analyzer.report import markdown, sarif, text
from analyzer.triage import gating
from analyzer.triage.baseline import compare, read_baseline

RULES = (
    rule("hosts.localhost", area="names"),
    rule("id.machine-id", level=Level.WARNING, area="identity"),
    rule("elf.interp", area="binaries"),
)


def before() -> RunResult:
    """The earlier run: three findings."""
    return result(
        RULES,
        [
            evaluation("hosts.localhost", message="no localhost", path="/etc/hosts", line=3),
            evaluation(
                "id.machine-id", level=Level.WARNING, message="id 1234", path="/etc/machine-id"
            ),
            evaluation("elf.interp", message="no loader", path="/bin/a", discriminator="a"),
        ],
    )


def after() -> RunResult:
    """The later run: one finding moved a line, one changed message, one fixed, one new."""
    return result(
        RULES,
        [
            evaluation("hosts.localhost", message="no localhost", path="/etc/hosts", line=7),
            evaluation(
                "id.machine-id", level=Level.WARNING, message="id 5678", path="/etc/machine-id"
            ),
            evaluation("elf.interp", message="no loader", path="/bin/b", discriminator="b"),
        ],
    )


def write_sarif(run: RunResult, path: Path) -> Path:
    """Write ``run`` as SARIF to ``path``."""
    path.write_text(sarif.render(run), encoding="utf-8")
    return path


def results(run: RunResult) -> list[dict[str, Any]]:
    """The SARIF results of ``run`` (validated)."""
    doc = json.loads(sarif.render(run))
    validate_sarif(doc)
    found: list[dict[str, Any]] = doc["runs"][0]["results"]
    return found


def test_states_by_fingerprint(tmp_path: Path) -> None:
    baseline = read_baseline(str(write_sarif(before(), tmp_path / "before.sarif")))
    compared = compare(after(), baseline)
    states = {(f.rule_id, f.location.path): f.baseline for f in compared.findings}
    assert states == {
        ("hosts.localhost", "/etc/hosts"): BaselineState.UNCHANGED,  # line 3 -> 7: same alert
        ("id.machine-id", "/etc/machine-id"): BaselineState.UPDATED,
        ("elf.interp", "/bin/b"): BaselineState.NEW,
    }
    assert [(p.rule_id, p.location.path, p.message) for p in compared.absent] == [
        ("elf.interp", "/bin/a", "no loader")
    ]
    assert compared.baseline == str(tmp_path / "before.sarif")
    # --fail-on counts new and updated findings only, unless asked for the baseline's too
    assert sorted(f.rule_id for f in gating(compared)) == ["elf.interp", "id.machine-id"]
    assert len(gating(compared, include_baseline=True)) == 3


def test_sarif_carries_states_and_absent_results(tmp_path: Path) -> None:
    baseline = read_baseline(str(write_sarif(before(), tmp_path / "before.sarif")))
    found = results(compare(after(), baseline))
    summary = [(r["ruleId"], r["baselineState"], r["properties"]["path"]) for r in found]
    assert summary == [
        ("hosts.localhost", "unchanged", "/etc/hosts"),
        ("id.machine-id", "updated", "/etc/machine-id"),
        ("elf.interp", "new", "/bin/b"),
        ("elf.interp", "absent", "/bin/a"),
    ]
    absent = found[-1]
    assert absent["message"]["text"] == "no loader"
    assert absent["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "image/bin/a"
    old = {r["ruleId"]: r for r in results(before())}
    assert absent["partialFingerprints"] == old["elf.interp"]["partialFingerprints"]


def test_unchanged_run_has_nothing_to_gate(tmp_path: Path) -> None:
    baseline = read_baseline(str(write_sarif(before(), tmp_path / "before.sarif")))
    compared = compare(before(), baseline)
    assert {f.baseline for f in compared.findings} == {BaselineState.UNCHANGED}
    assert compared.absent == ()
    assert gating(compared) == ()


def test_absent_results_are_not_carried_twice(tmp_path: Path) -> None:
    first = read_baseline(str(write_sarif(before(), tmp_path / "before.sarif")))
    second = write_sarif(compare(after(), first), tmp_path / "after.sarif")
    again = compare(after(), read_baseline(str(second)))
    assert again.absent == ()
    assert {f.baseline for f in again.findings} == {BaselineState.UNCHANGED}


def test_reports_show_the_states(tmp_path: Path) -> None:
    baseline = read_baseline(str(write_sarif(before(), tmp_path / "before.sarif")))
    compared = compare(after(), baseline)
    lines = text.render(compared).splitlines()
    name = str(tmp_path / "before.sarif")
    assert f"Baseline: {name}: 1 new, 1 unchanged, 1 updated, 1 absent" in lines
    assert "  interp: /bin/b (error: no loader) [new]" in lines
    assert "  localhost: /etc/hosts:7 (error: no localhost) [unchanged]" in lines
    assert "  machine-id: /etc/machine-id (warning: id 5678) [updated]" in lines
    # SARIF regions always have a line: the carried-over result keeps the one it had
    assert "  elf.interp at /bin/a:1: no loader (error) [absent]" in lines
    summary = markdown.render(compared)
    assert "1 new, 1 unchanged, 1 updated, 1 absent" in summary
    assert "- :x: **error** *new* `elf.interp` interp: no loader at `/bin/b`" in summary
    assert "*absent* `elf.interp`: no loader at `/bin/a:1`" in summary


def test_several_runs_pick_the_category(tmp_path: Path) -> None:
    doc = json.loads(sarif.render(before()))
    other = json.loads(sarif.render(after()))["runs"][0]
    other["automationDetails"]["id"] = "imgaudit/other/"
    doc["runs"].append(other)
    path = tmp_path / "fleet.sarif"
    path.write_text(json.dumps(doc), encoding="utf-8")
    baseline = read_baseline(str(path))
    assert {f.baseline for f in compare(before(), baseline).findings} == {BaselineState.UNCHANGED}
    with pytest.raises(UsageError, match="none of the baseline's 2 runs is 'nope/'"):
        compare(before(), baseline, "nope")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe", "the baseline is not UTF-8 text"),
        (b"{", "the baseline is not JSON"),
        (b"[]", "the baseline is not a SARIF 2.1.0 log"),
        (b'{"version": "2.1.0", "runs": []}', "the baseline has no runs"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "trivy"}}}]}',
            "the baseline was not written by imgaudit",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "imgaudit"}},'
            b' "results": [{"ruleId": "x", "message": {"text": "m"}}]}]}',
            "runs[0].results[0]: no ruleId or primaryLocationLineHash",
        ),
    ],
)
def test_bad_baselines(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.sarif"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        read_baseline(str(path))
    assert str(caught.value).startswith(f"{path}: {problem}")


def test_missing_baseline(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the baseline: No such file"):
        read_baseline(str(tmp_path / "nothing.sarif"))


def test_updated_is_decided_by_level_and_message_not_by_wording(tmp_path: Path) -> None:
    doc = json.loads(sarif.render(before()))
    for body in doc["runs"][0]["results"]:
        body["message"]["text"] += " (in the image: [path](1))"  # how a writer may word it
    path = tmp_path / "reworded.sarif"
    path.write_text(json.dumps(doc), encoding="utf-8")
    compared = compare(before(), read_baseline(str(path)))
    assert {f.baseline for f in compared.findings} == {BaselineState.UNCHANGED}
    # a log without the content fingerprint is compared by its message text
    for body in doc["runs"][0]["results"]:
        del body["fingerprints"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    compared = compare(before(), read_baseline(str(path)))
    assert {f.baseline for f in compared.findings} == {BaselineState.UPDATED}


def test_absent_result_keeps_the_related_locations_its_message_links(tmp_path: Path) -> None:
    doc = json.loads(sarif.render(before()))
    gone = next(r for r in doc["runs"][0]["results"] if r["properties"]["path"] == "/bin/a")
    related = {"id": 1, **gone["locations"][0], "message": {"text": "in the image: /bin/a"}}
    gone["relatedLocations"] = [related]
    gone["message"]["text"] += " (in the image: [/bin/a](1))"
    gone["locations"] = [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "Dockerfile"},
                "region": {"startLine": 4},
            }
        }
    ]
    path = tmp_path / "built.sarif"
    path.write_text(json.dumps(doc), encoding="utf-8")
    absent = results(compare(after(), read_baseline(str(path))))[-1]
    assert absent["baselineState"] == "absent"
    assert absent["message"]["text"] == "no loader (in the image: [/bin/a](1))"
    assert absent["locations"] == gone["locations"]
    assert absent["relatedLocations"] == [related]


def test_json_report_carries_the_states(tmp_path: Path) -> None:
    baseline = read_baseline(str(write_sarif(before(), tmp_path / "before.sarif")))
    doc = load_report(json_report.render(compare(after(), baseline)))
    states = [
        (e["rule_id"], e["location"]["path"], e["baseline_state"]) for e in doc["evaluations"]
    ]
    assert states == [
        ("hosts.localhost", "/etc/hosts", "unchanged"),
        ("id.machine-id", "/etc/machine-id", "updated"),
        ("elf.interp", "/bin/b", "new"),
    ]
    comparison = doc["baseline"]
    assert {k: v for k, v in comparison.items() if k != "absent_findings"} == {
        "file": str(tmp_path / "before.sarif"),
        "new": 1,
        "unchanged": 1,
        "updated": 1,
        "absent": 1,
    }
    [absent] = comparison["absent_findings"]
    assert (absent["rule_id"], absent["level"], absent["message"]) == (
        "elf.interp",
        "error",
        "no loader",
    )
    assert absent["location"]["path"] == "/bin/a"
    assert load_report(json_report.render(before()))["baseline"] is None
