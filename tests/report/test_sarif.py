"""SARIF writer: schema-valid, accepted by GitHub, stable locations and fingerprints."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from analyzer.model import Level, Notification, Outcome, RunResult
from analyzer.report import sarif
from analyzer.report.sarif_location import artifact_uri, category

from .factory import (
    BASE_LAYER,
    SAMPLE_RULES,
    TOP_LAYER,
    evaluation,
    result,
    rule,
    sample,
    target,
)
from .validate import validate_sarif


def render(run_result: RunResult, **options: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sarif.render(run_result, sarif.SarifOptions(**options)))
    validate_sarif(doc)
    return doc


def results_by_uri(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r
        for r in doc["runs"][0]["results"]
    }


def test_sample_is_valid_and_has_one_result_per_finding() -> None:
    doc = render(sample())
    run = doc["runs"][0]
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    assert run["tool"]["driver"]["name"] == "imgaudit"
    assert run["tool"]["driver"]["semanticVersion"] == "0.1.0"
    assert [r["ruleId"] for r in run["results"]] == [
        "k0s.name-resolution.localhost",
        "golden.machine-id.empty",
        "image.layout.root",
        "image.layout.odd-names",
        "image.layout.odd-names",
        "elf.interpreter",
    ]


def test_finding_with_a_line_points_at_that_line() -> None:
    found = results_by_uri(render(sample()))["image/etc/hosts"]
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uriBaseId"] == "IMAGEROOT"
    assert location["region"]["startLine"] == 3
    assert location["region"]["startColumn"] == 1
    assert found["message"]["text"] == "localhost is not in /etc/hosts"
    assert found["level"] == "error"
    assert found["properties"]["evidence"] == ["/etc/hosts:3: 127.0.0.1 ip6-localhost"]
    assert found["properties"]["details"] == {"names": ["ip6-localhost"], "nsswitch": None}


def test_finding_on_root_gets_prefix_slash_and_line_one() -> None:
    found = results_by_uri(render(sample()))["image/"]
    assert found["ruleId"] == "image.layout.root"
    assert found["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert found["properties"]["path"] == "/"


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("/etc/foo:bar", "image/etc/foo%3Abar"),
        ("/opt/my app/100%.conf", "image/opt/my%20app/100%25.conf"),
        ("//etc/./hosts", "image/etc/hosts"),
        ("/etc/caf\u00e9", "image/etc/caf%C3%A9"),
        ("/etc/\udcff", "image/etc/%FF"),
        ("/", "image/"),
    ],
)
def test_paths_are_percent_encoded_under_the_prefix(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri


def test_special_paths_appear_encoded_in_results() -> None:
    by_uri = results_by_uri(render(sample()))
    assert by_uri["image/etc/foo%3Abar"]["properties"]["path"] == "/etc/foo:bar"
    assert by_uri["image/opt/my%20app/100%25.conf"]["properties"]["path"] == "/opt/my app/100%.conf"


@pytest.mark.parametrize(
    ("prefix", "uri"),
    [
        ("scan/img", "scan/img/etc/hosts"),
        ("/rootfs/", "rootfs/etc/hosts"),
        ("c:x", "c%3Ax/etc/hosts"),
        ("", "etc/hosts"),
    ],
)
def test_uri_prefix_is_configurable_and_never_scheme_like(prefix: str, uri: str) -> None:
    doc = render(sample(), uri_prefix=prefix)
    assert uri in results_by_uri(doc)


def test_empty_prefix_root_is_never_an_empty_uri() -> None:
    assert artifact_uri("/", "") == "./"


def test_layer_attribution_in_result_properties() -> None:
    by_uri = results_by_uri(render(sample()))
    assert by_uri["image/etc/hosts"]["properties"]["layer"] == {
        "id": TOP_LAYER,
        "digest": TOP_LAYER,
        "diff_id": "sha256:bbbb",
        "created_by": "RUN printf '127.0.0.1 localhost\\n' > /etc/hosts",
        "description": "layer 2 of 2",
    }
    machine_id = by_uri["image/etc/machine-id"]["properties"]
    assert machine_id["layer"]["digest"] == BASE_LAYER
    assert machine_id["accessPath"] == "/var/lib/dbus/machine-id"
    assert "layer" not in by_uri["image/"]["properties"]


def test_unknown_layer_id_is_kept_as_id_only() -> None:
    run_result = result(
        SAMPLE_RULES, [evaluation("image.layout.root", path="/x", layer="partition-2")]
    )
    found = render(run_result)["runs"][0]["results"][0]
    assert found["properties"]["layer"] == {"id": "partition-2"}


def test_run_properties_carry_image_identity() -> None:
    properties = render(sample())["runs"][0]["properties"]
    assert properties["target"] == {
        "reference": "docker:ghcr.io/acme/app:1.2",
        "source": "docker",
        "kind": "container",
        "properties": {"config_digest": "sha256:cccc", "platform": "linux/amd64"},
    }
    assert [layer["digest"] for layer in properties["layers"]] == [BASE_LAYER, TOP_LAYER]
    assert properties["profiles"] == ["k0s"]
    assert properties["roles"] == ["controller", "worker"]
    assert properties["complete"] is False


def test_rules_are_unique_and_rule_index_points_at_them() -> None:
    duplicated = result([*SAMPLE_RULES, SAMPLE_RULES[0]], [evaluation(SAMPLE_RULES[0].id)])
    run = render(duplicated)["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == [r.id for r in SAMPLE_RULES]
    for found in run["results"]:
        assert ids[found["ruleIndex"]] == found["ruleId"]


def test_finding_of_an_unknown_rule_gets_a_descriptor() -> None:
    run = render(result([], [evaluation("pack.missing.rule", path="/x")]))["runs"][0]
    descriptor = run["tool"]["driver"]["rules"][0]
    assert descriptor["id"] == "pack.missing.rule"
    assert run["results"][0]["ruleIndex"] == 0


def test_rule_descriptor_fields() -> None:
    rules = {r["id"]: r for r in render(sample())["runs"][0]["tool"]["driver"]["rules"]}
    localhost = rules["k0s.name-resolution.localhost"]
    assert localhost["name"] == "LocalhostResolvesWithoutNSS"
    assert localhost["shortDescription"]["text"] == "localhost resolves without NSS"
    assert localhost["help"]["markdown"].startswith("Add `127.0.0.1 localhost`")
    assert localhost["defaultConfiguration"]["level"] == "error"
    assert localhost["properties"]["problem.severity"] == "error"
    assert "security-severity" not in localhost["properties"]
    assert localhost["properties"]["tags"] == ["k0s", "name-resolution"]
    security = rules["golden.machine-id.empty"]["properties"]
    assert security["security-severity"] == "5.5"
    assert "problem.severity" not in security
    assert security["tags"] == ["security", "golden-image", "clone-hygiene"]
    assert rules["image.layout.root"]["properties"]["problem.severity"] == "recommendation"


def test_long_descriptions_and_many_tags_are_cut_to_limits() -> None:
    wordy = rule(
        "x.wordy",
        description="d" * 5000,
        tags=tuple(f"t{i}" for i in range(30)),
    )
    descriptor = render(result([wordy], []))["runs"][0]["tool"]["driver"]["rules"][0]
    assert len(descriptor["fullDescription"]["text"]) == sarif.MAX_DESCRIPTION
    assert len(descriptor["properties"]["tags"]) == sarif.MAX_TAGS


def test_empty_description_falls_back_to_the_title() -> None:
    bare = dataclasses.replace(rule("x.bare", title="Bare rule"), description="", help_markdown="")
    descriptor = render(result([bare], []))["runs"][0]["tool"]["driver"]["rules"][0]
    assert descriptor["fullDescription"]["text"] == "Bare rule"
    assert descriptor["help"]["text"] == "Bare rule"


def test_only_findings_become_results() -> None:
    quiet = result(
        SAMPLE_RULES,
        [
            evaluation("k0s.os", Outcome.PASS, message="Linux"),
            evaluation(
                "k0s.kernel.version", Outcome.UNKNOWN, level=Level.NOTE, message="no kernel"
            ),
            evaluation("k0s.kconfig", Outcome.NOT_APPLICABLE, message="container"),
        ],
        complete=True,
    )
    run = render(quiet)["runs"][0]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(SAMPLE_RULES)
    assert run["invocations"][0] == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_notifications_become_tool_execution_notifications() -> None:
    notes = render(sample())["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["level"], n["descriptor"]["id"]) for n in notes] == [
        ("warning", "capture.truncated"),
        ("error", "archive.corrupt"),
        ("warning", "analysis.unverified"),
    ]
    where = notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert where == "image/etc/big.conf"
    assert "locations" not in notes[1]
    assert notes[1]["message"]["text"] == "layer 2 ends early: truncated gzip stream"


def fingerprint(run_result: RunResult) -> str:
    found = render(run_result)["runs"][0]["results"][0]
    value: str = found["partialFingerprints"]["primaryLocationLineHash"]
    return value


def test_fingerprint_ignores_image_tag_and_line() -> None:
    base = evaluation("image.layout.root", path="/etc/hosts", line=3, discriminator="d")
    moved = evaluation("image.layout.root", path="/etc/hosts", line=9, discriminator="d")
    first = fingerprint(result(SAMPLE_RULES, [base], target_info=target("docker:app:1")))
    retagged = fingerprint(result(SAMPLE_RULES, [base], target_info=target("docker:app:2")))
    relined = fingerprint(result(SAMPLE_RULES, [moved], target_info=target("docker:app:1")))
    assert first == retagged == relined
    hex_part, _, count = first.partition(":")
    assert len(hex_part) == 64
    assert count == "1"


def test_fingerprint_depends_on_rule_path_and_discriminator() -> None:
    base = evaluation("image.layout.root", path="/etc/hosts", discriminator="a")
    variants = [
        base,
        dataclasses.replace(base, discriminator="b"),
        dataclasses.replace(base, rule_id="image.layout.odd-names"),
        evaluation("image.layout.root", path="/etc/hostname", discriminator="a"),
    ]
    assert len({fingerprint(result(SAMPLE_RULES, [v])) for v in variants}) == 4


def test_repeated_fingerprints_are_numbered() -> None:
    twice = [
        evaluation("image.layout.root", path="/x", message="first"),
        evaluation("image.layout.root", path="/x", message="second"),
    ]
    found = render(result(SAMPLE_RULES, twice))["runs"][0]["results"]
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in found]
    assert hashes[0].split(":")[0] == hashes[1].split(":")[0]
    assert [h.split(":")[1] for h in hashes] == ["1", "2"]
    assert found[0]["fingerprints"] != found[1]["fingerprints"]


@pytest.mark.parametrize(
    ("reference", "source", "expected"),
    [
        ("docker:ghcr.io/acme/app:1.2", "docker", "imgaudit/container/ghcr.io-acme-app/"),
        ("docker:app@sha256:abcd", "docker", "imgaudit/container/app/"),
        ("tar:/tmp/run-42/rootfs.tar.zst", "tar", "imgaudit/container/rootfs.tar.zst/"),
        ("oci:/srv/layout:v2", "oci", "imgaudit/container/layout/"),
        ("-", "tar", "imgaudit/container/stdin/"),
        ("/tmp/x/we ird$name/", "dir", "imgaudit/container/we-ird-name/"),
    ],
)
def test_default_category_is_stable_per_target(reference: str, source: str, expected: str) -> None:
    assert category(target(reference, source=source)) == expected


def test_category_override_always_ends_with_a_slash() -> None:
    doc = render(sample(), category="images/golden-ubuntu")
    assert doc["runs"][0]["automationDetails"]["id"] == "images/golden-ubuntu/"
    assert render(sample(), category="x/")["runs"][0]["automationDetails"]["id"] == "x/"


def test_results_are_capped_keeping_the_most_severe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 2)
    many = [
        evaluation("image.layout.root", level=Level.NOTE, path="/a"),
        evaluation("image.layout.root", level=Level.ERROR, path="/b"),
        evaluation("image.layout.root", level=Level.WARNING, path="/c"),
    ]
    run = render(result(SAMPLE_RULES, many))["runs"][0]
    assert [r["properties"]["path"] for r in run["results"]] == ["/b", "/c"]
    note = run["invocations"][0]["toolExecutionNotifications"][-1]
    assert note["descriptor"]["id"] == sarif.CAPPED_CODE
    assert "3 findings exceed" in note["message"]["text"]


def test_nothing_varies_between_renders() -> None:
    assert sarif.render(sample()) == sarif.render(sample())
    assert "\n" not in sarif.render(sample())


def test_notification_without_message_still_has_text() -> None:
    bare = result([], [], notifications=[Notification(Level.NOTE, "x.code", "")])
    notes = render(bare)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "x.code"
