"""The format registry and determinism of every writer."""

from __future__ import annotations

import dataclasses
import json

import pytest

from analyzer.fleet.model import FleetResult, TargetReport
from analyzer.fleet.report import FLEET_FORMATS
from analyzer.report import FORMAT_NAMES, FORMATS, ReportOptions

from .factory import sample
from .validate import validate_sarif


def test_registry_names() -> None:
    assert list(FORMATS) == ["text", "sarif", "json", "junit", "markdown"]


def test_fleet_formats_come_from_the_same_table() -> None:
    assert list(FLEET_FORMATS) == list(FORMATS) == list(FORMAT_NAMES)
    fleet = FleetResult((TargetReport("img", sample()),), "0.1.0")
    assert "\x1b[" in FLEET_FORMATS["text"](fleet, ReportOptions(color=True))
    sarif = json.loads(FLEET_FORMATS["sarif"](fleet, ReportOptions(sarif_category="ci")))
    assert sarif["runs"][0]["automationDetails"]["id"] == "ci/ghcr.io-acme-app/"


@pytest.mark.parametrize("name", list(FORMATS))
def test_byte_identical_twice(name: str) -> None:
    first = FORMATS[name](sample(), ReportOptions()).encode("utf-8")
    second = FORMATS[name](sample(), ReportOptions()).encode("utf-8")
    assert first == second


@pytest.mark.parametrize("name", ["sarif", "json", "text", "junit", "markdown"])
def test_input_order_does_not_change_output(name: str) -> None:
    forward = sample()
    backward = dataclasses.replace(forward, evaluations=tuple(reversed(forward.evaluations)))
    assert FORMATS[name](forward, ReportOptions()) == FORMATS[name](backward, ReportOptions())


def test_report_options_reach_the_sarif_writer() -> None:
    options = ReportOptions(sarif_category="ci/img", uri_prefix="rootfs")
    doc = json.loads(FORMATS["sarif"](sample(), options))
    validate_sarif(doc)
    run = doc["runs"][0]
    assert run["automationDetails"]["id"] == "ci/img/"
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert "rootfs/etc/hosts" in uris


def test_report_options_reach_the_text_writer() -> None:
    assert "\x1b[" in FORMATS["text"](sample(), ReportOptions(color=True))
    assert "\x1b[" not in FORMATS["text"](sample(), ReportOptions())
