"""Unknown outcomes of error- and warning-level rules are counted in every report.

A CI gate must learn that what such a rule requires was not verified: the count lives on the
result (:attr:`~analyzer.model.RunResult.unverified`), every writer shows it, and the command
line maps it to exit code 3 under ``--strict``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from jsonreports import load_report

from analyzer.cli import exit_code
from analyzer.model import Level, Outcome, RunResult
from analyzer.report import json as json_report
from analyzer.report import junit, markdown, sarif, text

from .factory import evaluation, result, rule
from .validate import validate_sarif

RULES = (
    rule("k0s.kconfig.CONFIG_OVERLAY_FS", area="kernel"),
    rule("k0s.kconfig.CONFIG_VETH", area="kernel"),
    rule("k0s.kconfig.CONFIG_CFS_BANDWIDTH", level=Level.WARNING, area="kernel"),
    rule("k0s.kconfig.CONFIG_NFS_FS", level=Level.NOTE, area="kernel"),
    rule("k0s.os", area="os"),
)
REASON = "=m: no modules tree for kernel 6.1.0 in this image"


def unverified_run() -> RunResult:
    """Two error-level, one warning-level and one note-level check unknown; one passes."""
    return result(
        RULES,
        [
            *(
                evaluation(r.id, Outcome.UNKNOWN, level=r.level, message=REASON, subject="6.1.0")
                for r in RULES[:4]
            ),
            evaluation("k0s.os", Outcome.PASS, message="Debian 12"),
        ],
    )


def clean_run() -> RunResult:
    """Only the note-level check is unknown: nothing required is left unverified."""
    return result(
        RULES[3:],
        [
            evaluation(RULES[3].id, Outcome.UNKNOWN, level=Level.NOTE, message=REASON),
            evaluation("k0s.os", Outcome.PASS, message="Debian 12"),
        ],
    )


def sarif_doc(run_result: RunResult) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sarif.render(run_result))
    validate_sarif(doc)
    return doc


def test_the_result_names_the_unverified_evaluations() -> None:
    unverified = unverified_run().unverified
    assert [(e.rule_id, e.level) for e in unverified] == [
        ("k0s.kconfig.CONFIG_OVERLAY_FS", Level.ERROR),
        ("k0s.kconfig.CONFIG_VETH", Level.ERROR),
        ("k0s.kconfig.CONFIG_CFS_BANDWIDTH", Level.WARNING),
    ]
    assert clean_run().unverified == ()


def test_strict_exits_3_when_a_required_check_is_unknown() -> None:
    """The run read its whole input, yet it is incomplete: exit 3 with --strict only."""
    run_result = unverified_run()
    assert run_result.complete
    assert exit_code(run_result, "error", strict=False) == 0
    assert exit_code(run_result, "error", strict=True) == 3
    assert exit_code(clean_run(), "error", strict=True) == 0


def test_sarif_lists_the_unverified_rules_in_a_notification_and_counts_them() -> None:
    run = sarif_doc(unverified_run())["runs"][0]
    [note] = [
        n
        for n in run["invocations"][0]["toolExecutionNotifications"]
        if n["descriptor"]["id"] == sarif.UNVERIFIED_CODE
    ]
    assert note["level"] == "warning"
    assert note["message"]["text"] == (
        "2 error-level and 1 warning-level checks could not be decided (unknown): "
        "k0s.kconfig.CONFIG_OVERLAY_FS, k0s.kconfig.CONFIG_VETH, k0s.kconfig.CONFIG_CFS_BANDWIDTH"
    )
    assert note["properties"] == {
        "ruleIds": [
            "k0s.kconfig.CONFIG_OVERLAY_FS",
            "k0s.kconfig.CONFIG_VETH",
            "k0s.kconfig.CONFIG_CFS_BANDWIDTH",
        ],
        "counts": {"error": 2, "warning": 1},
    }
    assert run["properties"]["unverified"] == {"error": 2, "warning": 1}
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["results"] == []


def test_sarif_of_a_verified_run_has_no_such_notification() -> None:
    run = sarif_doc(clean_run())["runs"][0]
    assert run["invocations"][0]["toolExecutionNotifications"] == []
    assert run["properties"]["unverified"] == {"error": 0, "warning": 0}


def test_json_summary_counts_them() -> None:
    summary = load_report(json_report.render(unverified_run()))["summary"]
    assert summary == {
        "error": 0,
        "warning": 0,
        "note": 0,
        "passed": 1,
        "unknown": 4,
        "not_applicable": 0,
        "unverified": {
            "error": 2,
            "warning": 1,
            "rule_ids": [
                "k0s.kconfig.CONFIG_OVERLAY_FS",
                "k0s.kconfig.CONFIG_VETH",
                "k0s.kconfig.CONFIG_CFS_BANDWIDTH",
            ],
        },
    }
    clean = load_report(json_report.render(clean_run()))["summary"]
    assert clean["unverified"] == {"error": 0, "warning": 0, "rule_ids": []}


def test_text_summary_says_what_was_not_verified() -> None:
    lines = text.render(unverified_run()).splitlines()
    assert lines[-3:] == [
        "0 errors, 0 warnings, 0 notes; 1 passed, 4 unknown",
        "(not verified: 2 error-level and 1 warning-level checks could not be decided)",
        text.ALL_HINT,
    ]
    assert text.render(clean_run()).splitlines()[-2:] == [
        "0 errors, 0 warnings, 0 notes; 1 passed, 1 unknown",
        text.ALL_HINT,
    ]


def test_junit_properties_count_them() -> None:
    root = ET.fromstring(junit.render(unverified_run()).encode())
    for suite in root.findall("testsuite"):
        properties = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
        assert (properties["unverified_error"], properties["unverified_warning"]) == ("2", "1")
    skipped = [s.get("message") for s in root.iter("skipped")]
    assert skipped == [f"unknown: {REASON}"] * 4


def test_markdown_says_what_was_not_verified() -> None:
    lines = markdown.render(unverified_run()).splitlines()
    note = "**Not verified:** 2 error-level and 1 warning-level checks could not be decided;"
    assert f"{note} see *Could not tell*." in lines
    assert "Not verified" not in markdown.render(clean_run())


def test_one_check_is_singular() -> None:
    one = result(RULES[:1], [evaluation(RULES[0].id, Outcome.UNKNOWN, message=REASON)])
    assert text.render(one).splitlines()[-1] == (
        "(not verified: 1 error-level check could not be decided)"
    )
