"""Report writers: pure functions of a :class:`~analyzer.model.RunResult`.

:data:`FORMATS` is the one registry the command line uses: format name -> a function taking
``(result, ReportOptions)`` and returning the report text. Each writer module also offers
``render(result, options=None)`` with its own options class for library callers. Writers do no
I/O and read no clock: the same result gives the same text. Callers write the text as UTF-8.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from analyzer.model import RunResult
from analyzer.report.sarif_location import DEFAULT_URI_PREFIX


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What the command line can change about a report.

    ``color``: ANSI colour in text output (decided by the caller: tty and ``NO_COLOR``);
    ``sarif_category``: overrides SARIF ``automationDetails.id``; ``uri_prefix``: the first
    segment of SARIF artifact URIs; ``all_checks``: the text report lists every check, not
    only the findings.
    """

    color: bool = False
    sarif_category: str | None = None
    uri_prefix: str = DEFAULT_URI_PREFIX
    all_checks: bool = False


Renderer = Callable[[RunResult, ReportOptions], str]


# Each writer module is imported when its format is asked for: a run renders one format.


def _text(result: RunResult, options: ReportOptions) -> str:
    from analyzer.report import text

    return text.render(result, text.TextOptions(color=options.color, all_checks=options.all_checks))


def _sarif(result: RunResult, options: ReportOptions) -> str:
    from analyzer.report import sarif

    return sarif.render(
        result, sarif.SarifOptions(category=options.sarif_category, uri_prefix=options.uri_prefix)
    )


def _json(result: RunResult, options: ReportOptions) -> str:
    del options
    from analyzer.report import json as json_report

    return json_report.render(result)


def _junit(result: RunResult, options: ReportOptions) -> str:
    del options
    from analyzer.report import junit

    return junit.render(result)


def _markdown(result: RunResult, options: ReportOptions) -> str:
    del options
    from analyzer.report import markdown

    return markdown.render(result)


#: Format name -> renderer, in the order ``--format`` lists them.
FORMATS: Mapping[str, Renderer] = MappingProxyType(
    {
        "text": _text,
        "sarif": _sarif,
        "json": _json,
        "junit": _junit,
        "markdown": _markdown,
    }
)


__all__ = ["FORMATS", "Renderer", "ReportOptions"]
