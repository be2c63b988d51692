"""SARIF of a container image: valid, layer-attributed, and independent of the tag."""

from __future__ import annotations

import json
from typing import Any

from containerimages import Formats, formats_fixture
from report.validate import validate_sarif

from analyzer.pipeline import Config, analyze
from analyzer.report import FORMATS, ReportOptions

__all__ = ["formats_fixture"]
PROFILES = ("k0s", "golden-image", "elf-linkage")


def sarif(target: str, category: str | None = None) -> dict[str, Any]:
    result = analyze(Config(target, profiles=PROFILES))
    document: dict[str, Any] = json.loads(
        FORMATS["sarif"](result, ReportOptions(sarif_category=category))
    )
    return document


def test_container_sarif_is_valid_and_names_the_layer(formats: Formats) -> None:
    document = sarif(f"oci:{formats.oci_dir}:v1")
    validate_sarif(document)
    (run,) = document["runs"]
    found = [r for r in run["results"] if r["ruleId"] == "golden-image.machine-id.populated"]
    (result,) = found
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "image/etc/machine-id"
    assert location["region"]["startLine"] == 1
    base = formats.image.layers[0]
    layer = result["properties"]["layer"]
    assert layer["digest"] == f"sha256:{base.digest}"
    assert layer["created_by"] == "/bin/sh -c #(nop) ADD file:base in /"


def test_fingerprints_and_uris_do_not_depend_on_the_tag(formats: Formats) -> None:
    tagged = sarif(f"oci:{formats.oci_dir}:v1")
    archive = sarif(f"docker-archive:{formats.docker}:demo:v1")

    def identity(document: dict[str, Any]) -> list[tuple[str, str, str]]:
        (run,) = document["runs"]
        return sorted(
            (
                r["ruleId"],
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["partialFingerprints"]["primaryLocationLineHash"],
            )
            for r in run["results"]
        )

    assert identity(tagged) == identity(archive)
    assert not any(":v1" in uri for _, uri, _ in identity(tagged))


def test_sarif_category_keeps_several_images_apart(formats: Formats) -> None:
    document = sarif(str(formats.docker), category="images/app")
    (run,) = document["runs"]
    assert run["automationDetails"]["id"] == "images/app/"
