r"""JUnit XML for CI systems that show test reports: one testcase per evaluation.

A finding is a ``<failure>`` (``type`` is its level), an unknown or not-applicable evaluation
is ``<skipped>`` with the reason, a pass is an empty testcase. Test cases are grouped in one
``<testsuite>`` per rule area, in report order; notifications go to the ``<system-err>`` of a
last, empty suite named ``notifications``. Every suite's properties say whether the input was
read completely and count the unknown outcomes of error- and warning-level rules
(``unverified_error``, ``unverified_warning``). No timestamps or durations; characters XML
1.0 cannot carry are escaped as ``\\xNN`` text so the document always parses.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.model import Evaluation, Notification, Outcome, RunResult
from analyzer.report.common import (
    clean_text,
    is_bare_root,
    sorted_evaluations,
    unique_rules,
    unverified_counts,
)

#: The suite that carries notifications (as ``<system-err>``) when there are any.
NOTIFICATIONS_SUITE = "notifications"
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class JunitOptions:
    """``name``: the name of the ``<testsuites>`` element."""

    name: str = "imgaudit"


def xml_text(text: str) -> str:
    r"""Return ``text`` with characters XML 1.0 forbids shown as ``\\xNN`` escapes."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", clean_text(text))


def render(result: RunResult, options: JunitOptions | None = None) -> str:
    """Render the JUnit XML of ``result`` (with an XML declaration, ending with a newline)."""
    name = (options or JunitOptions()).name
    rules = unique_rules(result.rules)
    areas = {rule.id: rule.area for rule in rules}
    titles = {rule.id: rule.title for rule in rules}
    suites: dict[str, list[Evaluation]] = defaultdict(list)
    for evaluation in sorted_evaluations(result.evaluations, rules):
        suites[areas.get(evaluation.rule_id, "general")].append(evaluation)
    root = ET.Element("testsuites", {"name": xml_text(name)})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for area, evaluations in suites.items():
        suite = ET.SubElement(root, "testsuite", {"name": xml_text(area)})
        for key, value in add_testcases(suite, evaluations, titles).items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    properties = target_properties(result)
    for suite in root:
        suite.insert(0, copy.deepcopy(properties))
    if result.notifications:
        holder = ET.SubElement(root, "testsuite", {"name": NOTIFICATIONS_SUITE})
        for key in totals:
            holder.set(key, "0")
        err = ET.SubElement(holder, "system-err")
        err.text = notification_text(result.notifications)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def notification_text(notifications: Iterable[Notification]) -> str:
    """The ``<system-err>`` text of ``notifications``: one line each, with level and code."""
    return "\n".join(
        xml_text(f"{n.level.value}: {n.message} [{n.code}]")
        + ("" if n.location is None else xml_text(f" (at {n.location.describe()})"))
        for n in notifications
    )


def target_properties(result: RunResult) -> ET.Element:
    """The ``<properties>`` naming the target, its source and kind, profiles, roles."""
    properties = ET.Element("properties")
    for key, text in (
        ("target", result.target.reference),
        ("source", result.target.source),
        ("kind", result.target.kind.value),
        ("profiles", ",".join(result.profiles)),
        ("roles", ",".join(result.roles)),
        ("complete", str(result.complete).lower()),
        *((f"unverified_{level}", str(n)) for level, n in unverified_counts(result).items()),
    ):
        ET.SubElement(properties, "property", {"name": key, "value": xml_text(text)})
    return properties


def add_testcases(
    suite: ET.Element, evaluations: list[Evaluation], titles: dict[str, str]
) -> dict[str, int]:
    """Add a testcase per evaluation to ``suite``; set and return its counts."""
    tally = {"tests": len(evaluations), "failures": 0, "errors": 0, "skipped": 0}
    for evaluation in evaluations:
        _testcase(suite, evaluation, titles.get(evaluation.rule_id, evaluation.rule_id))
        if evaluation.outcome is Outcome.FAIL:
            tally["failures"] += 1
        elif evaluation.outcome is not Outcome.PASS:
            tally["skipped"] += 1
    for key, value in tally.items():
        suite.set(key, str(value))
    return tally


def _testcase(suite: ET.Element, evaluation: Evaluation, title: str) -> None:
    location = evaluation.location
    label = evaluation.subject or ("" if is_bare_root(location) else location.describe())
    name = f"{title}: {label}" if label else title
    case = ET.SubElement(
        suite, "testcase", {"classname": xml_text(evaluation.rule_id), "name": xml_text(name)}
    )
    message = xml_text(evaluation.message)
    if evaluation.outcome is Outcome.FAIL:
        failure = ET.SubElement(
            case, "failure", {"message": message, "type": evaluation.level.value}
        )
        lines = [f"at {evaluation.location.describe()}"]
        if evaluation.location.layer:
            lines.append(f"layer {evaluation.location.layer}")
        lines += list(evaluation.evidence)
        failure.text = xml_text("\n".join(lines))
    elif evaluation.outcome is Outcome.UNKNOWN:
        ET.SubElement(case, "skipped", {"message": xml_text(f"unknown: {evaluation.message}")})
    elif evaluation.outcome is Outcome.NOT_APPLICABLE:
        ET.SubElement(
            case, "skipped", {"message": xml_text(f"not applicable: {evaluation.message}")}
        )
