"""The committed rule-pack JSON Schema: generated from the specs, and every shipped pack fits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from analyzer.errors import RuleError
from analyzer.policy.loader import parse_pack
from analyzer.policy.schema import SCHEMA_PATH, pack_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]
PACKS = sorted((ROOT / "rules").glob("*.yaml")) + sorted((ROOT / "examples/packs").glob("*.yaml"))
GUIDE = ROOT / "docs" / "rules.md"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / SCHEMA_PATH).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def test_committed_schema_is_the_generated_one() -> None:
    committed = (ROOT / SCHEMA_PATH).read_text()
    assert committed == schema_text(), "schema/rule-pack.json is stale: run `make pack-schema`"
    assert pack_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("pack", PACKS, ids=[p.name for p in PACKS])
def test_every_shipped_and_example_pack_validates_and_names_the_schema(
    validator: jsonschema.Draft202012Validator, pack: Path
) -> None:
    text = pack.read_text()
    first = text.split("\n", 1)[0]
    assert first.startswith("# yaml-language-server: $schema=")
    assert (pack.parent / first.split("=", 1)[1]).resolve() == ROOT / SCHEMA_PATH
    assert _errors(validator, yaml.safe_load(text)) == []


def test_the_guide_examples_validate(validator: jsonschema.Draft202012Validator) -> None:
    example = GUIDE.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    assert _errors(validator, yaml.safe_load(example)) == []


BASE = """\
schema: 1
pack: t
defaults: {profiles: [t], help: fix it, message: "{detail}", subject: kernel}
rules:
  - id: t.one
    title: One
    level: note
    check: %s
"""


@pytest.mark.parametrize(
    "check",
    [
        '{kconfig: {symbol: CONFIG_X, module_check: "false"}}',
        "{kconfig: {symbol: CONFIG_X, values: [maybe]}}",
        "{kconfig: {sym: CONFIG_X}}",
        "{cmdline: {param: x, absent: true, equals: '1'}}",
        "{kernel_version: {}}",
        "{kernel_version: {min: 3.10}}",
        "{cgroup: {controller: memory, hierarchy: v2}}",
        "{elf_needed: {x: 1}, kconfig: CONFIG_X}",
        "{frobnicate: {}}",
    ],
)
def test_what_the_loader_rejects_the_schema_rejects_at_the_check(
    validator: jsonschema.Draft202012Validator, check: str
) -> None:
    text = BASE % check
    with pytest.raises(RuleError):
        parse_pack(text, "t.yaml")
    errors = _errors(validator, yaml.safe_load(text))
    assert errors
    assert all(error.startswith("$.rules[0].check") for error in errors), errors


def test_a_structured_subject_with_a_relative_glob_is_rejected(
    validator: jsonschema.Draft202012Validator,
) -> None:
    data = yaml.safe_load(BASE % "{file: {expect: absent}}")
    data["rules"][0]["subject"] = {"file": ["etc/x"]}
    assert _errors(validator, data)
    data["rules"][0]["subject"] = {"file": ["/etc/x", "/srv/with space"]}
    assert _errors(validator, data) == []
