"""JUnit XML and Markdown summary writers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from analyzer.model import Level, Outcome
from analyzer.report import junit, markdown
from analyzer.report.common import MIN_SHARED

from .factory import SAMPLE_RULES, SHARED_REASON, evaluation, result, sample, shared_unknowns


def parse(run_text: str) -> ET.Element:
    return ET.fromstring(run_text.encode("utf-8"))


def test_junit_counts_and_one_testcase_per_evaluation() -> None:
    root = parse(junit.render(sample()))
    assert root.attrib == {
        "name": "imgaudit",
        "tests": "13",
        "failures": "6",
        "errors": "0",
        "skipped": "4",
    }
    assert len(root.findall("./testsuite/testcase")) == 13
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "name-resolution",
        "clone-hygiene",
        "layout",
        "kernel",
        "os",
        "binaries",
        "notifications",
    ]


def test_junit_failure_carries_message_level_and_location() -> None:
    root = parse(junit.render(sample()))
    case = root.find("./testsuite/testcase[@classname='k0s.name-resolution.localhost']")
    assert case is not None
    assert case.get("name") == "localhost resolves without NSS: image"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "localhost is not in /etc/hosts"
    assert failure.get("type") == "error"
    assert (failure.text or "").splitlines()[0] == "at /etc/hosts:3"


def test_junit_skips_unknown_and_not_applicable_passes_are_empty() -> None:
    root = parse(junit.render(sample()))
    unknown = root.find("./testsuite/testcase[@classname='k0s.kernel.version']/skipped")
    assert unknown is not None
    assert unknown.get("message") == "unknown: no kernel image found in /boot"
    na = root.find("./testsuite/testcase[@classname='k0s.kconfig']/skipped")
    assert na is not None
    assert (na.get("message") or "").startswith("not applicable: the kernel belongs")
    passed = root.find("./testsuite/testcase[@classname='k0s.os']")
    assert passed is not None
    assert list(passed) == []


def test_junit_notifications_and_properties() -> None:
    root = parse(junit.render(sample()))
    err = root.find("./testsuite[@name='notifications']/system-err")
    assert err is not None
    assert "error: layer 2 ends early: truncated gzip stream [archive.corrupt]" in (err.text or "")
    complete = root.find("./testsuite/properties/property[@name='complete']")
    assert complete is not None
    assert complete.get("value") == "false"


def test_junit_survives_characters_xml_cannot_carry() -> None:
    hostile = evaluation("image.layout.root", message="bad \x01 byte", path="/tmp/\udcff\x02")
    root = parse(junit.render(result(SAMPLE_RULES, [hostile])))
    failure = root.find("./testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "bad \\x01 byte"
    assert (failure.text or "") == "at /tmp/\\xff\\x02"


def test_markdown_table_and_findings() -> None:
    out = markdown.render(sample()).splitlines()
    assert out[0] == "## imgaudit: `docker:ghcr.io/acme/app:1.2`"
    assert "| :x: errors | 2 |" in out
    assert "| :warning: warnings | 3 |" in out
    assert "| not applicable | 3 |" in out
    assert "**Partial result:** the input could not be read completely." in out
    findings = out[out.index("### Findings") + 2 :]
    assert findings[0] == (
        "- :x: **error** `k0s.name-resolution.localhost` localhost resolves without NSS: "
        "localhost is not in /etc/hosts at `/etc/hosts:3` (layer `sha256:" + "2" * 64 + "`)"
    )
    assert findings[5].startswith("- :information_source: **note** `image.layout.root`")


def test_markdown_escapes_markup_from_the_image() -> None:
    hostile = evaluation(
        "image.layout.odd-names",
        level=Level.WARNING,
        message="name has | and <b>",
        path="/x`y",
    )
    out = markdown.render(result(SAMPLE_RULES, [hostile]))
    assert "name has \\| and \\<b\\> at ``/x`y``" in out


def test_markdown_clean_run_has_no_findings_section() -> None:
    clean = result(SAMPLE_RULES, [evaluation("k0s.os", Outcome.PASS, message="Linux")])
    out = markdown.render(clean)
    assert "### Findings" not in out
    assert "| passed | 1 |" in out


def test_markdown_caps_the_findings_list() -> None:
    many = [evaluation("image.layout.root", path=f"/f{i}") for i in range(5)]
    out = markdown.render(result(SAMPLE_RULES, many), markdown.MarkdownOptions(max_findings=2))
    assert out.count("`image.layout.root`") == 2
    assert "- ... and 3 more" in out


def test_markdown_summarises_unknowns_that_share_a_reason() -> None:
    out = markdown.render(shared_unknowns()).splitlines()
    assert f"- {MIN_SHARED} kernel rules: {SHARED_REASON}" in out
    assert "- `k.other` Other: config unreadable" in out
    assert not any(line.startswith("- `k.0`") for line in out)
