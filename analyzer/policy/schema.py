"""The JSON Schema of rule packs (draft 2020-12), generated from the leaves' parameter specs.

The committed copy is ``schema/rule-pack.json`` (``make pack-schema`` writes it again; a test
fails when it differs from :func:`pack_schema`). Editors that speak the YAML language server
protocol validate a pack against it when the pack's first line is
``# yaml-language-server: $schema=<path or URL of rule-pack.json>``. The loader stays the
authority: it also checks what a schema cannot say (unique rule ids, known parents, template
placeholders, snippet values).
"""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.model import JSON, JSONObject, Level
from analyzer.policy.capture import CAPTURE_SPEC
from analyzer.policy.leaf import Leaf
from analyzer.policy.leaves import LEAVES
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import ABSOLUTE
from analyzer.policy.rule import ALL_ROLES, ALL_TARGETS
from analyzer.policy.subjects import PARAMETRISED, SUBJECTS

#: Where the committed schema lives, relative to the repository root.
SCHEMA_PATH = Path("schema") / "rule-pack.json"
_TARGETS = [t.value for t in ALL_TARGETS]


def param_schema(param: Param[object]) -> JSONObject:
    """The schema of one parameter's YAML value."""
    one: JSONObject = {"enum": list(param.choices)} if param.choices else dict(param.type.schema)
    if param.doc:
        one["description"] = param.doc
    if not param.many:
        return one
    return {"anyOf": [one, {"type": "array", "minItems": 1, "items": one}]}


def spec_schema(spec: ParamSpec) -> JSONObject:
    """The schema of a parameter mapping (or of the bare value its ``scalar`` stands for)."""
    if not spec.params:
        return {"type": ["object", "null"], "maxProperties": 0}
    mapping: JSONObject = {
        "type": "object",
        "properties": {p.name: param_schema(p) for p in spec.params},
        "additionalProperties": False,
    }
    required = [p.name for p in spec.params if p.required]
    if required:
        mapping["required"] = required
    groups = [{"oneOf": [{"required": [name]} for name in group]} for group in spec.one_of]
    if spec.any_of:
        groups.append({"anyOf": [{"required": [name]} for name in spec.any_of]})
    if groups:
        mapping["allOf"] = groups
    scalar = spec.get(spec.scalar)
    if scalar is None:
        return mapping
    return {"anyOf": [mapping, param_schema(scalar)]}


def _leaf(leaf: type[Leaf]) -> JSONObject:
    doc = (leaf.__doc__ or "").strip().split("\n\n")[0]
    return {
        "type": "object",
        "description": " ".join(doc.split()) + f" Subjects: {', '.join(leaf.subjects)}.",
        "properties": {leaf.key: spec_schema(leaf.spec)},
        "required": [leaf.key],
        "additionalProperties": False,
    }


def _one_key(key: str, value: JSONObject) -> JSONObject:
    return {
        "type": "object",
        "properties": {key: value},
        "required": [key],
        "additionalProperties": False,
    }


def _check() -> JSONObject:
    checks: JSONObject = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/check"}}
    when: JSONObject = {
        "type": "object",
        "properties": {"if": {"$ref": "#/$defs/check"}, "then": {"$ref": "#/$defs/check"}},
        "required": ["if", "then"],
        "additionalProperties": False,
    }
    combinators = [
        _one_key("all_of", checks),
        _one_key("any_of", checks),
        _one_key("not", {"$ref": "#/$defs/check"}),
        _one_key("when", when),
    ]
    return {"oneOf": combinators + [_leaf(leaf) for leaf in LEAVES]}


def _subject() -> JSONObject:
    globs = param_schema(Param("file", ABSOLUTE, many=True))
    kinds: list[JSON] = [{"enum": sorted(SUBJECTS)}]
    kinds += [_one_key(kind, globs) for kind in sorted(PARAMETRISED)]
    kinds.append({"type": "string", "pattern": f"^({'|'.join(sorted(PARAMETRISED))}):"})
    return {"anyOf": kinds}


def _strings(items: JSONObject | None = None) -> JSONObject:
    return {"type": "array", "items": items or {"type": "string"}}


def _rule_properties() -> JSONObject:
    text: JSONObject = {"type": "string"}
    snippet_use: JSONObject = {
        "type": "object",
        "properties": {"use": text},
        "required": ["use"],
        "additionalProperties": text,
    }
    return {
        "id": text,
        "title": text,
        "description": text,
        "level": {"enum": [level.value for level in Level]},
        "help": {"anyOf": [text, snippet_use]},
        "message": text,
        "check": {"$ref": "#/$defs/check"},
        "subject": _subject(),
        "profiles": _strings(),
        "roles": _strings({"enum": list(ALL_ROLES)}),
        "targets": _strings({"enum": _TARGETS}),
        "not_applicable": {
            "type": "object",
            "properties": {t: text for t in _TARGETS},
            "additionalProperties": False,
        },
        "area": text,
        "parent": text,
        "tags": _strings(),
        "security-severity": {"type": "string", "pattern": r"^(10(\.0+)?|\d(\.\d+)?)$"},
    }


def pack_schema() -> JSONObject:
    """The JSON Schema every rule pack validates against."""
    fields: JSONObject = {
        "type": "object",
        "properties": _rule_properties(),
        "additionalProperties": False,
    }
    rule: JSONObject = {**fields, "required": ["id", "title"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "rule-pack.json",
        "title": "imgaudit rule pack",
        "description": "A rule pack (docs/rules.md), generated from the leaves' parameter specs.",
        "type": "object",
        "properties": {
            "schema": {"const": 1},
            "pack": {"type": "string"},
            "defaults": {"$ref": "#/$defs/ruleFields"},
            "help": {"type": "object", "additionalProperties": {"type": "string"}},
            "capture": spec_schema(CAPTURE_SPEC),
            "rules": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/rule"}},
        },
        "required": ["schema", "pack", "rules"],
        "additionalProperties": False,
        "$defs": {"rule": rule, "ruleFields": fields, "check": _check()},
    }


def schema_text() -> str:
    """:func:`pack_schema` as the committed file holds it (sorted keys, two-space indent)."""
    return json.dumps(pack_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(root: Path) -> Path:
    """Write the schema to ``root / SCHEMA_PATH``; returns the path."""
    path = root / SCHEMA_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_text(), encoding="utf-8")
    return path
