"""SARIF of a finding with a build step: the build line first, the image path related."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from jsonreports import load_report
from report.factory import TOP_LAYER, evaluation, result, rule
from report.validate import validate_sarif

from analyzer.model import BuildStep, RunResult
from analyzer.report import json as json_report
from analyzer.report import markdown, sarif, text

STEP = BuildStep("docker/my app/Dockerfile", 7, 8, "RUN echo key > /etc/ssh/ssh_host_rsa_key")


def run_with(step: BuildStep | None) -> RunResult:
    """One finding at an awkward in-image path, with ``step`` as its origin."""
    found = evaluation(
        "golden-image.ssh.host-key", message="SSH host key baked into the image",
        path="/etc/ssh/key [1]", layer=TOP_LAYER, discriminator="/etc/ssh/key [1]",
    )  # fmt: skip
    return result([rule("golden-image.ssh.host-key")], [dataclasses.replace(found, origin=step)])


def only_result(run: RunResult) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sarif.render(run))
    validate_sarif(doc)
    (found,) = doc["runs"][0]["results"]
    assert isinstance(found, dict)
    return found


def test_the_build_line_is_primary_and_the_image_path_related() -> None:
    found = only_result(run_with(STEP))
    assert found["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "docker/my%20app/Dockerfile"},
                "region": {"startLine": 7, "startColumn": 1, "endLine": 8, "endColumn": 2},
            }
        }
    ]
    (related,) = found["relatedLocations"]
    assert related["id"] == 1
    assert related["physicalLocation"]["artifactLocation"] == {
        "uri": "image/etc/ssh/key%20%5B1%5D",
        "uriBaseId": "IMAGEROOT",
    }
    assert related["message"]["text"] == "in the image: /etc/ssh/key [1]"
    assert found["message"]["text"] == (
        "SSH host key baked into the image (in the image: [/etc/ssh/key \\[1\\]](1))"
    )
    assert found["properties"]["build"] == {
        "uri": "docker/my app/Dockerfile",
        "line": 7,
        "instruction": STEP.instruction,
    }
    assert found["properties"]["layer"]["id"] == TOP_LAYER


def test_fingerprints_stay_those_of_the_image_path() -> None:
    with_step, without = only_result(run_with(STEP)), only_result(run_with(None))
    assert with_step["partialFingerprints"] == without["partialFingerprints"]
    assert with_step["fingerprints"] == without["fingerprints"]
    assert "relatedLocations" not in without
    assert without["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "image/etc/ssh/key%20%5B1%5D"
    )


def test_json_names_the_build_step_only_when_there_is_one() -> None:
    (with_step,) = load_report(json_report.render(run_with(STEP)))["evaluations"]
    assert with_step["build"] == {
        "uri": "docker/my app/Dockerfile", "line": 7, "end_line": 8,
        "instruction": STEP.instruction,
    }  # fmt: skip
    (without,) = load_report(json_report.render(run_with(None)))["evaluations"]
    assert without["build"] is None


def test_text_and_markdown_name_the_build_line() -> None:
    shown = text.render(run_with(STEP))
    assert (
        "host-key: /etc/ssh/key [1], from docker/my app/Dockerfile:7 RUN echo key > "
        "/etc/ssh/ssh_host_rsa_key (error: SSH host key baked into the image)"
    ) in shown
    assert "from `docker/my app/Dockerfile:7` `RUN echo key" in markdown.render(run_with(STEP))
