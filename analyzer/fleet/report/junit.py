r"""JUnit XML for a fleet: one ``<testsuite>`` per target, named by the target.

Each scanned target's suite holds one testcase per evaluation, exactly as the single-target
report writes them (a finding is a ``<failure>``, unknown and not applicable are
``<skipped>``), its identity as ``<properties>`` and its notifications in ``<system-err>``.
A target that could not be scanned is a suite with one ``scan`` testcase in ``<error>``.
Notes about the target list go to a last suite named ``fleet``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from analyzer.fleet.model import FleetResult, TargetReport
from analyzer.report.common import sorted_evaluations, unique_rules
from analyzer.report.junit import (
    JunitOptions,
    add_testcases,
    notification_text,
    target_properties,
    xml_text,
)

FLEET_SUITE = "fleet"
_KEYS = ("tests", "failures", "errors", "skipped")


def render(fleet: FleetResult, options: JunitOptions | None = None) -> str:
    """Render the fleet's JUnit XML (with an XML declaration, ending with a newline)."""
    root = ET.Element("testsuites", {"name": xml_text((options or JunitOptions()).name)})
    totals = dict.fromkeys(_KEYS, 0)
    for report in fleet.targets:
        tally = _suite(root, report)
        for key in _KEYS:
            totals[key] += tally[key]
    if fleet.notifications:
        holder = ET.SubElement(root, "testsuite", {"name": FLEET_SUITE, **_counts(None)})
        ET.SubElement(holder, "system-err").text = notification_text(fleet.notifications)
    for key, value in totals.items():
        root.set(key, str(value))
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _counts(tally: dict[str, int] | None) -> dict[str, str]:
    return {key: str((tally or {}).get(key, 0)) for key in _KEYS}


def _suite(root: ET.Element, report: TargetReport) -> dict[str, int]:
    suite = ET.SubElement(root, "testsuite", {"name": xml_text(report.reference)})
    result = report.result
    if result is None:
        tally = {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}
        case = ET.SubElement(suite, "testcase", {"classname": "imgaudit", "name": "scan"})
        failure = {"message": xml_text(report.error or ""), "type": "unreadable"}
        ET.SubElement(case, "error", failure)
        for key, value in _counts(tally).items():
            suite.set(key, value)
        return tally
    suite.append(target_properties(result))
    rules = unique_rules(result.rules)
    titles = {rule.id: rule.title for rule in rules}
    tally = add_testcases(suite, sorted_evaluations(result.evaluations, rules), titles)
    if result.notifications:
        ET.SubElement(suite, "system-err").text = notification_text(result.notifications)
    return tally
