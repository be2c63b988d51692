"""JSON report: versioned document with every evaluation, attribution and a facts summary."""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any

from jsonreports import load_report
from jsonview import obj

from analyzer.model import FactKey, Facts, FactStore, Outcome
from analyzer.report import json as json_report
from analyzer.report.common import jsonable

from .factory import BASE_LAYER, SAMPLE_RULES, TOP_LAYER, evaluation, result, sample
from .golden_files import check_golden


def document() -> dict[str, Any]:
    return load_report(json_report.render(sample()))


def test_golden_sample() -> None:
    check_golden("sample.json", json_report.render(sample()))


def test_header_and_summary() -> None:
    doc = document()
    assert doc["schema"] == "imgaudit/report/v2"
    assert doc["tool"] == {"name": "imgaudit", "version": "0.1.0"}
    assert doc["target"]["reference"] == "docker:ghcr.io/acme/app:1.2"
    assert doc["target"]["kind"] == "container"
    assert doc["complete"] is False
    assert doc["summary"] == {
        "error": 2,
        "warning": 3,
        "note": 1,
        "passed": 3,
        "unknown": 1,
        "not_applicable": 3,
        "unverified": {"error": 1, "warning": 0, "rule_ids": ["k0s.kernel.version"]},
    }
    assert doc["incomplete_reasons"] == [
        {"code": "archive.corrupt", "message": "layer 2 ends early: truncated gzip stream"}
    ]


def test_every_evaluation_is_listed_with_its_outcome() -> None:
    outcomes = {(e["rule_id"], e["outcome"]) for e in document()["evaluations"]}
    assert ("k0s.kconfig.CONFIG_CGROUPS", "not_applicable") in outcomes
    assert ("k0s.kernel.version", "unknown") in outcomes
    assert ("elf.interpreter", "pass") in outcomes
    assert ("elf.interpreter", "fail") in outcomes
    assert len(document()["evaluations"]) == 13


def test_finding_location_and_layer_attribution() -> None:
    hosts = next(
        e for e in document()["evaluations"] if e["rule_id"] == "k0s.name-resolution.localhost"
    )
    assert hosts["finding"] is True
    assert hosts["message"] == "localhost is not in /etc/hosts"
    assert hosts["location"] == {
        "path": "/etc/hosts",
        "line": 3,
        "access_path": "/etc/hosts",
        "layer": TOP_LAYER,
    }
    assert hosts["layer"]["created_by"] == "RUN printf '127.0.0.1 localhost\\n' > /etc/hosts"
    assert hosts["properties"] == {"names": ["ip6-localhost"], "nsswitch": None}


def test_rules_carry_area_parent_and_profiles() -> None:
    rules = {r["id"]: r for r in document()["rules"]}
    assert rules["k0s.kernel.version"]["parent"] == "k0s.os"
    assert rules["golden.machine-id.empty"]["profiles"] == ["golden-image"]
    assert rules["golden.machine-id.empty"]["security_severity"] == "5.5"
    assert rules["k0s.kconfig"]["area"] == "kernel"


def test_notifications_keep_code_and_location() -> None:
    notes = document()["notifications"]
    assert notes[0]["code"] == "capture.truncated"
    assert notes[0]["location"]["path"] == "/etc/big.conf"
    assert notes[1]["location"] is None


def test_facts_summary_keeps_states_locations_and_reasons() -> None:
    facts = document()["facts"]
    assert list(facts) == [
        "os",
        "kernels",
        "modules_load",
        "executables",
        "hostname",
        "machine_id",
    ]
    assert facts["kernels"] == {
        "state": "unknown",
        "value": None,
        "location": None,
        "reason": "no kernel image found in /boot",
    }
    assert facts["machine_id"]["state"] == "absent"
    assert facts["machine_id"]["location"]["path"] == "/etc/machine-id"
    assert facts["hostname"] == {
        "state": "unknown",
        "value": None,
        "location": None,
        "reason": "hostname not determined",
    }
    os_fact = facts["os"]
    assert os_fact["location"]["layer"] == BASE_LAYER
    assert os_fact["value"]["id"] == "alpine"
    assert list(os_fact["value"]["fields"]) == ["ID", "VERSION_ID"]


def test_executables_summary_lists_lookups_by_name() -> None:
    value = document()["facts"]["executables"]["value"]
    assert [lookup["name"] for lookup in value["lookups"]] == ["iptables", "mount"]
    iptables, mount = value["lookups"]
    assert iptables["found"]["variant"] == "nft"
    assert iptables["found"]["location"]["access_path"] == "/usr/sbin/iptables"
    assert iptables["rejected"][0]["path"] == "/usr/local/sbin/ipt\\xffables"
    assert mount == {"name": "mount", "found": None, "rejected": []}


class Colour(enum.Enum):
    RED = 1


@dataclass(frozen=True)
class Odd:
    values: frozenset[str]
    data: bytes
    ratio: float


def test_jsonable_edge_values() -> None:
    value = {Colour.RED: Odd(frozenset({"b", "a"}), b"ok\xff", math.inf), 2: math.nan}
    assert jsonable(value) == {
        "2": "nan",
        "1": {"values": ["a", "b"], "data": "ok\\xff", "ratio": "inf"},
    }
    assert list(obj(jsonable(value))) == ["1", "2"]


def test_undecodable_names_are_escaped_not_fatal() -> None:
    odd = result(SAMPLE_RULES, [evaluation("image.layout.root", path="/etc/\udcff")])
    text = json_report.render(odd)
    text.encode("utf-8")
    assert load_report(text)["evaluations"][0]["location"]["path"] == "/etc/\\xff"


def test_input_order_of_evaluations_does_not_change_output() -> None:
    forward = sample()
    backward = dataclasses.replace(
        forward,
        evaluations=tuple(reversed(forward.evaluations)),
        facts=_reversed(forward.facts),
    )
    assert json_report.render(backward) == json_report.render(forward)


def _reversed(facts: Facts) -> FactStore:
    """The same facts written in the opposite order."""
    out = FactStore()
    for name, fact in reversed(list(facts.items())):
        key: FactKey[object] = FactKey(name)
        out.put(key, fact)
    return out


def test_one_line_when_indent_is_none() -> None:
    text = json_report.render(sample(), json_report.JsonOptions(indent=None))
    assert text.count("\n") == 1
    assert load_report(text)["schema"] == "imgaudit/report/v2"


def test_not_applicable_reason_is_in_the_message() -> None:
    na = [e for e in document()["evaluations"] if e["outcome"] == Outcome.NOT_APPLICABLE.value]
    assert {e["message"] for e in na} == {"the kernel belongs to the host that runs the container"}
