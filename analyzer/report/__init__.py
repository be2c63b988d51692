"""Report writers: pure functions of a :class:`~analyzer.model.RunResult`.

:data:`FORMAT_NAMES` is the one table of formats. Each format is a writer module of that name
here and in :mod:`analyzer.fleet.report`, with ``render(result, options=None)`` taking that
writer's own options class (the fleet writer takes the single-target writer's). :func:`formats`
turns the table into what the command line uses, format name -> a function of
``(result, ReportOptions)``; :data:`FORMATS` is it for single targets. Writers do no I/O and
read no clock: the same result gives the same text. Callers write the text as UTF-8.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import TypeVar

from analyzer.model import RunResult
from analyzer.report.sarif_location import DEFAULT_URI_PREFIX

R = TypeVar("R")

#: Every format, in the order ``--format`` lists them; each names a writer module.
FORMAT_NAMES = ("text", "sarif", "json", "junit", "markdown")


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


def writer_options(name: str, options: ReportOptions) -> object:
    """The options of format ``name``'s writer that the command line sets (``None``: defaults)."""
    if name == "text":
        from analyzer.report.text import TextOptions

        return TextOptions(color=options.color, all_checks=options.all_checks)
    if name == "sarif":
        from analyzer.report.sarif import SarifOptions

        return SarifOptions(category=options.sarif_category, uri_prefix=options.uri_prefix)
    return None


def _render(package: str, name: str, result: object, options: ReportOptions) -> str:
    # a run renders one format: its writer module is imported when it is asked for
    writer = importlib.import_module(f"{package}.{name}")
    text = writer.render(result, writer_options(name, options))
    if not isinstance(text, str):
        raise TypeError(f"{package}.{name}.render returned {type(text).__name__}")
    return text


def formats(package: str, result_type: type[R]) -> Mapping[str, Callable[[R, ReportOptions], str]]:
    """Format name -> renderer of ``result_type`` by the writer modules of ``package``."""
    del result_type  # it types the renderers
    return MappingProxyType({name: partial(_render, package, name) for name in FORMAT_NAMES})


#: Format name -> renderer of one target's result, in the order ``--format`` lists them.
FORMATS: Mapping[str, Renderer] = formats(__name__, RunResult)


__all__ = ["FORMATS", "FORMAT_NAMES", "Renderer", "ReportOptions", "formats", "writer_options"]
