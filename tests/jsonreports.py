"""Read a JSON report the way a consumer does, validating it against the committed schema.

Every test that reads a JSON report (``--format json`` of a scan, a fleet scan or a diff) loads
it with :func:`load_report`, so every report the tests produce is checked against the committed
schema its ``schema`` key names (``schema/report-v*.json``, ``fleet-v*``, ``diff-v*``);
:data:`VALIDATED` counts them.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from typing import Any

import jsonschema

from analyzer.diff.document import DIFF_FORMAT, DIFF_SCHEMA
from analyzer.fleet.report.document import FLEET_FORMAT, FLEET_SCHEMA
from analyzer.report.document import REPORT_FORMAT
from analyzer.report.schemas import REPORT_SCHEMA, PublishedSchema, shipped_schema

#: Reports validated in this test session, by format.
VALIDATED: Counter[str] = Counter()
_BY_FORMAT = {REPORT_FORMAT: REPORT_SCHEMA, FLEET_FORMAT: FLEET_SCHEMA, DIFF_FORMAT: DIFF_SCHEMA}


@functools.cache
def validator(published: PublishedSchema) -> jsonschema.Draft202012Validator:
    """A validator for the committed schema of ``published`` (checked against its dialect)."""
    schema = shipped_schema(published)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_problems(document: Any) -> list[str]:
    """Every way ``document`` breaks the schema its ``schema`` key names, as ``path: message``."""
    name = document.get("schema") if isinstance(document, dict) else None
    published = _BY_FORMAT.get(name)  # type: ignore[arg-type]
    if published is None:
        return [f"<root>: unknown format {name!r}"]
    errors = sorted(validator(published).iter_errors(document), key=lambda e: list(e.path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]


def load_report(text: str | bytes) -> dict[str, Any]:
    """Parse a JSON report and raise AssertionError naming every schema violation."""
    document: dict[str, Any] = json.loads(text)
    problems = schema_problems(document)
    assert not problems, "report breaks its schema:\n  " + "\n  ".join(problems[:20])
    VALIDATED[document["schema"]] += 1
    return document
