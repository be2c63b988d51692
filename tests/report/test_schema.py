"""The committed JSON Schemas: generated from the report models, versioned, documented.

A report model that changes shape without a new version fails here (and ``make schema``
refuses to overwrite the committed schema); so does a reference in ``docs/json-report.md``
that no longer matches the model, or an example there that the schema rejects.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

import jsonschema
import pytest
from jsonreports import load_report, schema_problems
from schemafiles import DOCS, PUBLISHED, SCHEMA_DIR, problems, shape_problem

from analyzer.fleet.report.document import FLEET_FORMAT, FLEET_VERSION
from analyzer.report import json as json_report
from analyzer.report.document import REPORT_FORMAT, REPORT_VERSION, Report
from analyzer.report.schemas import REPORT_SCHEMA, PublishedSchema, shape, shipped_schema

from .factory import sample


@pytest.mark.parametrize("published", PUBLISHED, ids=lambda p: p.name)
def test_committed_schema_is_a_draft_2020_12_schema_named_by_its_version(
    published: PublishedSchema,
) -> None:
    schema = shipped_schema(published)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:imgaudit:schema:{published.name}:{published.version}"
    assert (SCHEMA_DIR / f"{published.name}-v{published.version}.json").is_file()


def test_format_identifier_names_the_major_version() -> None:
    assert f"imgaudit/report/v{REPORT_VERSION.split('.')[0]}" == REPORT_FORMAT
    assert f"imgaudit/fleet/v{FLEET_VERSION.split('.')[0]}" == FLEET_FORMAT


def test_schemas_and_docs_are_what_the_models_generate() -> None:
    assert problems() == []


@dataclass(frozen=True, slots=True)
class Widened(Report):
    """A report model with one more key, as a change to the model would make it."""

    extra: Annotated[str, "a new key"] = ""


def test_a_new_shape_without_a_new_version_is_refused() -> None:
    same_version = PublishedSchema("report", Widened, REPORT_VERSION, "widened")
    assert shape_problem(same_version) == (
        f"report-v{REPORT_VERSION}.json: the model's shape differs from the committed schema: "
        "bump its version (minor when keys are only added, major otherwise) and run "
        "`make schema`"
    )
    bumped = PublishedSchema("report", Widened, "2.999", "widened")
    assert shape_problem(bumped) == "report-v2.999.json is not committed: run `make schema`"


def test_prose_is_not_shape_but_property_names_are() -> None:
    schema: Any = REPORT_SCHEMA.generate()
    reworded = copy.deepcopy(schema)
    reworded["$defs"]["Rule"]["description"] = "reworded"
    assert shape(reworded) == shape(schema)
    renamed = copy.deepcopy(schema)
    rule = renamed["$defs"]["Rule"]
    rule["properties"]["name"] = rule["properties"].pop("title")
    assert shape(renamed) != shape(schema)


def test_schema_rejects_another_format_unknown_keys_and_missing_keys() -> None:
    document = load_report(json_report.render(sample()))
    older = {**document, "schema": "imgaudit/report/v1"}
    assert schema_problems(older) == ["<root>: unknown format 'imgaudit/report/v1'"]
    extra = copy.deepcopy(document)
    extra["evaluations"][0]["severity"] = "high"
    assert schema_problems(extra) == [
        "evaluations/0: Additional properties are not allowed ('severity' was unexpected)"
    ]
    missing = copy.deepcopy(document)
    del missing["facts"]["os"]["reason"]
    assert schema_problems(missing) == ["facts/os: 'reason' is a required property"]
    wrong = copy.deepcopy(document)
    wrong["facts"]["kernels"]["state"] = "maybe"
    [problem] = schema_problems(wrong)
    assert problem.startswith("facts/kernels/state: 'maybe' is not one of")


def _docs_examples() -> list[dict[str, Any]]:
    text = DOCS.read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def test_docs_example_is_a_valid_report() -> None:
    [example] = _docs_examples()
    assert schema_problems(example) == []
    assert example["facts"]["kernels"]["state"] == "absent"
