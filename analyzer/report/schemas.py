"""The published JSON Schemas: which model each describes, its version, and the shipped copy.

Each :class:`PublishedSchema` is generated from its model by
:func:`~analyzer.report.jsonmodel.schema_of` and committed as ``schema/NAME-vVERSION.json``
(``make schema`` writes it). The wheel ships that directory as ``analyzer/schema``, so
:func:`shipped_schema` reads the schema a user's installed version writes documents for.
A committed schema is never changed in shape: a new shape needs a new version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from analyzer.report.document import REPORT_VERSION, Report
from analyzer.report.jsonmodel import Schema, schema_of

#: The package-data directory, inside the ``analyzer`` package, that holds the schemas.
SCHEMA_DIR = "schema"
#: Keys that document a schema without changing which documents it accepts.
_PROSE = frozenset({"description", "title"})
#: Keys whose value maps names (of properties, of definitions) to schemas.
_NAMED = frozenset({"properties", "$defs"})


@dataclass(frozen=True, slots=True)
class PublishedSchema:
    """A committed schema: ``name`` (``report``), the root ``model`` class, ``version``."""

    name: str
    model: type
    version: str
    title: str

    @property
    def file_name(self) -> str:
        """``report-v2.0.json``."""
        return f"{self.name}-v{self.version}.json"

    @property
    def schema_id(self) -> str:
        """``urn:imgaudit:schema:report:2.0``."""
        return f"urn:imgaudit:schema:{self.name}:{self.version}"

    def generate(self) -> Schema:
        """The schema of the model as it is now."""
        return schema_of(self.model, schema_id=self.schema_id, title=self.title)


REPORT_SCHEMA = PublishedSchema("report", Report, REPORT_VERSION, "imgaudit JSON report")


def shipped_schema(published: PublishedSchema) -> Schema:
    """The committed (installed) copy of ``published``."""
    path = resources.files("analyzer").joinpath(SCHEMA_DIR, published.file_name)
    loaded: Schema = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def shape(schema: object) -> object:
    """``schema`` without its prose: what decides which documents it accepts."""
    if isinstance(schema, list):
        return [shape(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, object] = {}
    for key, value in schema.items():
        if key in _NAMED:
            out[key] = {name: shape(sub) for name, sub in value.items()}
        elif key not in _PROSE:
            out[key] = shape(value)
    return out


def schema_text(schema: Schema) -> str:
    """The committed form of a schema: two-space indent, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
