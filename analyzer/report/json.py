"""The versioned JSON report (``imgaudit/report/v2``), documented in ``docs/json-report.md``.

Unlike SARIF it carries every evaluation (pass, unknown and not applicable included) and a
summary of the facts the collectors gathered. The document is the model of
:mod:`analyzer.report.document`, built by :func:`~analyzer.report.build.build_report`; its
schema is committed under ``schema/`` and shipped in the package. Keys appear in a fixed
order and the same result gives byte-identical text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from analyzer.model import RunResult
from analyzer.report.build import build_report
from analyzer.report.jsonmodel import to_json


@dataclass(frozen=True, slots=True)
class JsonOptions:
    """``indent``: spaces per nesting level (``None`` writes one line)."""

    indent: int | None = 2


def dump(document: object, options: JsonOptions | None = None) -> str:
    """A document model instance as JSON text (ending with a newline)."""
    indent = (options or JsonOptions()).indent
    separators = (",", ":") if indent is None else (",", ": ")
    data = to_json(document)
    return json.dumps(data, ensure_ascii=False, indent=indent, separators=separators) + "\n"


def render(result: RunResult, options: JsonOptions | None = None) -> str:
    """Render the JSON report of ``result`` as text (ending with a newline)."""
    return dump(build_report(result), options)
