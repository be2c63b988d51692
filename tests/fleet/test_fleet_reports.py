"""Merged reports of a fleet: SARIF runs apart, tables worst first, each target as on its own."""

from __future__ import annotations

import json
import pickle
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from builders import make_tree, to_dir, to_tar
from fleetbuild import PROFILES, spec
from jsonreports import load_report
from report.validate import validate_sarif

from analyzer.fleet.model import FleetResult, TargetReport
from analyzer.fleet.report import FLEET_FORMATS
from analyzer.fleet.report.sarif import unique_names
from analyzer.fleet.work import portable, scan_target
from analyzer.model import Level, Notification
from analyzer.pipeline import Config, analyze
from analyzer.report import FORMATS, ReportOptions
from analyzer.version import TOOL_VERSION


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> FleetResult:
    """Two directories both named ``rootfs`` (one dirty), a tar, and a target that is missing."""
    root = tmp_path_factory.mktemp("fleet")
    targets = [
        str(to_dir(make_tree(spec(1)), root / "eu" / "rootfs")),
        str(to_dir(make_tree(spec(0)), root / "us" / "rootfs")),
        str(to_tar(make_tree(spec(2)), root / "base.tar")),
        str(root / "missing.qcow2"),
    ]
    reports = tuple(scan_target(Config(t, profiles=PROFILES)) for t in targets)
    note = Notification(Level.NOTE, "fleet.duplicate-target", "x: listed more than once")
    return FleetResult(reports, TOOL_VERSION, (note,))


def render(fleet: FleetResult, name: str, **options: str) -> str:
    return FLEET_FORMATS[name](fleet, ReportOptions(**options))  # type: ignore[arg-type]


def test_failure_is_the_targets_own(fleet: FleetResult) -> None:
    failed = fleet.targets[3]
    assert failed.result is None
    assert failed.error == f"{failed.reference}: no such file or directory"
    assert all(report.result is not None for report in fleet.targets[:3])


def test_sarif_has_one_valid_run_per_target_each_in_its_own_category(fleet: FleetResult) -> None:
    doc = json.loads(render(fleet, "sarif"))
    validate_sarif(doc)
    runs = doc["runs"]
    eu, us, tar, missing = (run["automationDetails"]["id"] for run in runs)
    names = unique_names(fleet.targets)
    assert names[0].startswith("rootfs-") and names[1].startswith("rootfs-")
    assert (eu, us, tar) == (f"imgaudit/rootfs/{names[0]}/", f"imgaudit/rootfs/{names[1]}/",
                             "imgaudit/rootfs/base.tar/")  # fmt: skip
    assert missing == "imgaudit/unreadable/missing.qcow2/"
    assert runs[3]["results"] == []
    invocation = runs[3]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"].endswith(f"could not be scanned: {fleet.targets[3].error}")
    fleet_note = runs[0]["invocations"][0]["toolExecutionNotifications"][-1]
    assert fleet_note["descriptor"]["id"] == "fleet.duplicate-target"


def test_sarif_run_is_the_single_target_run_but_for_the_category(fleet: FleetResult) -> None:
    doc = json.loads(render(fleet, "sarif", sarif_category="golden"))
    for report, run in zip(fleet.targets[1:3], doc["runs"][1:3], strict=True):
        assert report.result is not None
        alone = json.loads(FORMATS["sarif"](report.result, ReportOptions()))["runs"][0]
        name = unique_names(fleet.targets)[fleet.targets.index(report)]
        assert run["automationDetails"]["id"] == f"golden/{name}/"
        del run["automationDetails"], alone["automationDetails"]
        assert run == alone
    assert doc["runs"][3]["automationDetails"]["id"] == "golden/unreadable/missing.qcow2/"
    dirty = {r["ruleId"] for r in doc["runs"][1]["results"]}
    assert "golden-image.ssh.host-key" in dirty
    assert "golden-image.ssh.host-key" not in {r["ruleId"] for r in doc["runs"][0]["results"]}


def test_json_table_is_worst_first_and_each_target_is_its_own_report(fleet: FleetResult) -> None:
    doc = load_report(render(fleet, "json"))
    assert doc["schema"] == "imgaudit/fleet/v2"
    table = doc["table"]
    # failed first, then the dirty tree, then the two clean ones (same counts) by name
    order = [fleet.targets[i].reference for i in (3, 1, 2, 0)]
    assert [row["target"] for row in table] == order
    assert [row["status"] for row in table] == ["failed", "scanned", "scanned", "scanned"]
    assert table[1]["counts"]["error"] > table[2]["counts"]["error"] == table[3]["counts"]["error"]
    assert doc["summary"]["targets"] == 4 and doc["summary"]["failed"] == 1
    assert doc["summary"]["counts"]["error"] == sum(row["counts"]["error"] for row in table)
    unverified = {r.reference: len(r.result.unverified) for r in fleet.targets if r.result}
    assert [row["unverified"] for row in table[1:]] == [unverified[t] for t in order[1:]]
    assert doc["summary"]["unverified"] == sum(unverified.values()) > 0
    for report, entry in zip(fleet.targets, doc["targets"], strict=True):
        assert entry["reference"] == report.reference
        if report.result is None:
            assert entry == {"reference": report.reference, "status": "failed",
                             "error": report.error, "report": None}  # fmt: skip
        else:
            alone = load_report(FORMATS["json"](report.result, ReportOptions()))
            assert entry["report"] == alone


def test_markdown_table_rows_worst_first(fleet: FleetResult) -> None:
    text = render(fleet, "markdown")
    assert text.startswith("## imgaudit: 4 targets\n")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows[0] == f"| `{fleet.targets[3].reference}` | 0 | 0 | 0 | 0 | :x: failed |"
    assert rows[1].startswith(f"| `{fleet.targets[1].reference}` |")
    assert f":x: could not be scanned: {fleet.targets[3].reference}" in text


def test_junit_has_one_suite_per_target(fleet: FleetResult) -> None:
    root = ET.fromstring(render(fleet, "junit"))
    suites = [s for s in root if s.get("name") != "fleet"]
    assert [s.get("name") for s in suites] == [r.reference for r in fleet.targets]
    for report, suite in zip(fleet.targets, suites, strict=True):
        if report.result is None:
            (error,) = suite.iter("error")
            assert error.get("message") == report.error
            continue
        failures = [case for case in suite if case.find("failure") is not None]
        assert len(failures) == len(report.result.findings) == int(suite.get("failures", ""))
    assert int(root.get("errors", "")) == 1


def test_text_has_a_section_per_target_and_a_summary(fleet: FleetResult) -> None:
    text = render(fleet, "text")
    first = fleet.targets[0]
    assert text.startswith(f"== [1/4] {first.reference}\n")
    assert first.result is not None
    alone = FORMATS["text"](first.result, ReportOptions())
    assert alone in text
    assert f"== [4/4] {fleet.targets[3].reference}\ncould not be scanned: " in text
    summary = text[text.index("== summary, worst first") :].splitlines()
    assert summary[2].startswith(fleet.targets[3].reference)
    assert summary[2].endswith("failed")
    assert summary[-1].startswith("4 targets: ")
    unverified = sum(len(r.result.unverified) for r in fleet.targets if r.result)
    assert f" unknown ({unverified} not verified); 1 not scanned, " in summary[-1]


#: Files in the tree of the portability test: enough that the tree outweighs the rules.
MANY_FILES = 800
#: A portable result carries rules, evaluations and facts, never the tree: about 90 kB here.
MAX_PORTABLE_BYTES = 150_000


def test_portable_result_renders_byte_identical_and_does_not_grow_with_the_tree(
    tmp_path: Path,
) -> None:
    tree = {**spec(0), **{f"usr/share/doc/p{n}/copyright": f"{n}\n" for n in range(MANY_FILES)}}
    target = to_dir(make_tree(tree), tmp_path / "rootfs")
    result = analyze(Config(str(target), profiles=PROFILES))
    small = portable(result)
    for name, writer in FORMATS.items():
        assert writer(small, ReportOptions()) == writer(result, ReportOptions()), name
    size = len(pickle.dumps(TargetReport(str(target), small)))
    assert size < MAX_PORTABLE_BYTES < len(pickle.dumps(result))
