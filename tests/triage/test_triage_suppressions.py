"""Suppression files: accepted findings stay reported, with their reason, and do not gate."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from jsonreports import load_report
from report.factory import evaluation, result, rule
from report.validate import validate_sarif

from analyzer.errors import UsageError
from analyzer.model import Level, Outcome, RunResult
from analyzer.report import json as json_report
from analyzer.report import markdown, sarif, text
from analyzer.triage import gating
from analyzer.triage.suppressions import load_suppressions, suppress

TODAY = datetime.date(2026, 6, 1)
CONFIG = """\
# accepted findings
suppressions:
  - rule: id.*
    path: /etc/machine-id
    reason: cloud-init writes a new ID on first boot
    expires: 2026-06-01
  - rule: elf.interp
    path: /opt/**
    reason: vendor blobs, run in their own chroot
  - rule: hosts.localhost
    reason: old exception
    expires: 2026-05-31
  - rule: nothing.here
    reason: stale entry
"""
RULES = (
    rule("hosts.localhost", area="names"),
    rule("id.machine-id", level=Level.WARNING, area="identity"),
    rule("elf.interp", area="binaries"),
)


def run() -> RunResult:
    """Four findings: two the file suppresses, one only an expired entry names, one other."""
    return result(
        RULES,
        [
            evaluation("hosts.localhost", message="no localhost", path="/etc/hosts", line=3),
            evaluation("id.machine-id", level=Level.WARNING, message="id", path="/etc/machine-id"),
            evaluation("elf.interp", message="no loader", path="/opt/v/bin/x", discriminator="x"),
            evaluation("elf.interp", message="no loader", path="/usr/bin/y", discriminator="y"),
            evaluation("elf.interp", Outcome.PASS, message="fine", path="/opt/v/bin/z"),
        ],
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / ".imgaudit.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_matching_findings_are_suppressed_not_removed(config: Path) -> None:
    suppressed = suppress(run(), load_suppressions(str(config)), TODAY)
    reasons = {
        (f.rule_id, f.location.path): f.suppression.reason if f.suppression else None
        for f in suppressed.findings
    }
    assert reasons == {
        ("hosts.localhost", "/etc/hosts"): None,  # its entry expired the day before
        ("id.machine-id", "/etc/machine-id"): "cloud-init writes a new ID on first boot",
        ("elf.interp", "/opt/v/bin/x"): "vendor blobs, run in their own chroot",
        ("elf.interp", "/usr/bin/y"): None,
    }
    assert [(f.rule_id, f.location.path) for f in gating(suppressed)] == [
        ("hosts.localhost", "/etc/hosts"),
        ("elf.interp", "/usr/bin/y"),
    ]
    notes = [(n.level, n.code, n.message) for n in suppressed.notifications]
    assert notes == [
        (
            Level.WARNING,
            "suppression.expired",
            f"suppression of rule hosts.localhost at * ({config}:10) expired after "
            "2026-05-31: the findings it matches are reported",
        ),
        (
            Level.NOTE,
            "suppression.unused",
            f"suppression of rule nothing.here at * ({config}:13) matches no finding",
        ),
    ]


def test_sarif_suppressions(config: Path) -> None:
    doc = json.loads(sarif.render(suppress(run(), load_suppressions(str(config)), TODAY)))
    validate_sarif(doc)
    by_path = {r["properties"]["path"]: r.get("suppressions") for r in doc["runs"][0]["results"]}
    assert by_path["/etc/hosts"] is None
    assert by_path["/usr/bin/y"] is None
    assert by_path["/etc/machine-id"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "cloud-init writes a new ID on first boot",
            "properties": {
                "rule": "id.*",
                "path": "/etc/machine-id",
                "source": f"{config}:3",
                "expires": "2026-06-01",
            },
        }
    ]
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["suppression.expired", "suppression.unused"]


def test_text_and_markdown_list_suppressed(config: Path) -> None:
    suppressed = suppress(run(), load_suppressions(str(config)), TODAY)
    lines = text.render(suppressed).splitlines()
    assert "  machine-id: /etc/machine-id (warning: id) [suppressed]" in lines
    at = lines.index("Suppressed findings (not counted for --fail-on):")
    assert lines[at + 1 : at + 3] == [  # in the order of the report: errors' areas first
        f"  elf.interp at /opt/v/bin/x: vendor blobs, run in their own chroot ({config}:7)",
        f"  id.machine-id at /etc/machine-id: cloud-init writes a new ID on first boot "
        f"({config}:3)",
    ]
    assert (
        "3 errors, 1 warning, 0 notes (2 suppressed); 1 passed, 0 unknown; "
        "notifications: 1 warning" in lines
    )
    summary = markdown.render(suppressed)
    assert (
        "`id.machine-id` machine-id: id at `/etc/machine-id` — **suppressed**: cloud-init "
        "writes a new ID on first boot" in summary
    )


def test_empty_file_suppresses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert load_suppressions(str(path)) == ()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("suppressions:\n  - rule: a\n    reson: typo\n", ":2: unknown key 'reson'"),
        ("suppressions:\n  - rule: a\n    path: /x\n", ":2: 'reason' is required"),
        ("suppressions:\n  - reason: why\n", ":2: 'rule' is required"),
        (
            "suppressions:\n  - rule: a\n    reason: r\n  - rule: b\n    reason: r\n"
            "    expires: next week\n",
            ":4: 'expires' must be a date (YYYY-MM-DD), not 'next week'",
        ),
        ("suppressions:\n  - rule: a\n    reason: r\n    path: 3\n", ":2: 'path' must be"),
        ("suppressions:\n  rule: a\n", ":1: 'suppressions' must be a list of entries"),
        ("ignore:\n  - a\n", ":1: unknown key 'ignore' (known: suppressions)"),
        ("suppressions:\n  - just a string\n", ":1: a suppression must be a mapping"),
        ("suppressions: [\n", ":2: "),
        ("- a\n", ":1: expected a mapping with the key 'suppressions'"),
    ],
)
def test_bad_files_name_the_line(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_suppressions(str(path))
    assert str(caught.value).startswith(f"{path}{problem}")
    assert "\n" not in str(caught.value)


def test_json_report_carries_the_suppression(config: Path) -> None:
    doc = load_report(json_report.render(suppress(run(), load_suppressions(str(config)), TODAY)))
    by_path = {e["location"]["path"]: e["suppression"] for e in doc["evaluations"]}
    assert by_path["/etc/hosts"] is None
    assert by_path["/opt/v/bin/z"] is None  # a pass is never suppressed
    assert by_path["/etc/machine-id"] == {
        "rule": "id.*",
        "path": "/etc/machine-id",
        "reason": "cloud-init writes a new ID on first boot",
        "expires": "2026-06-01",
        "source": f"{config}:3",
    }
    assert [n["code"] for n in doc["notifications"]] == [
        "suppression.expired",
        "suppression.unused",
    ]
