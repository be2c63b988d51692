"""Fleet report writers: pure functions of a :class:`~analyzer.fleet.model.FleetResult`.

:data:`FLEET_FORMATS` mirrors :data:`analyzer.report.FORMATS`: the same format names, each a
function taking ``(fleet, ReportOptions)`` and returning the report text. Each format reuses
the single-target writer for the part about one target, so a target reads the same in a fleet
report as on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from analyzer.fleet.model import FleetResult
from analyzer.report import ReportOptions

FleetRenderer = Callable[[FleetResult, ReportOptions], str]


def _text(fleet: FleetResult, options: ReportOptions) -> str:
    from analyzer.fleet.report import text
    from analyzer.report.text import TextOptions

    return text.render(fleet, TextOptions(color=options.color, all_checks=options.all_checks))


def _sarif(fleet: FleetResult, options: ReportOptions) -> str:
    from analyzer.fleet.report import sarif
    from analyzer.report.sarif import SarifOptions

    return sarif.render(
        fleet, SarifOptions(category=options.sarif_category, uri_prefix=options.uri_prefix)
    )


def _json(fleet: FleetResult, options: ReportOptions) -> str:
    del options
    from analyzer.fleet.report import json as json_report

    return json_report.render(fleet)


def _junit(fleet: FleetResult, options: ReportOptions) -> str:
    del options
    from analyzer.fleet.report import junit

    return junit.render(fleet)


def _markdown(fleet: FleetResult, options: ReportOptions) -> str:
    del options
    from analyzer.fleet.report import markdown

    return markdown.render(fleet)


#: Format name -> fleet renderer, with the same names as the single-target formats.
FLEET_FORMATS: Mapping[str, FleetRenderer] = MappingProxyType(
    {
        "text": _text,
        "sarif": _sarif,
        "json": _json,
        "junit": _junit,
        "markdown": _markdown,
    }
)

__all__ = ["FLEET_FORMATS", "FleetRenderer"]
