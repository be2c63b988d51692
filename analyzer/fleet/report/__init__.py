"""Fleet report writers: pure functions of a :class:`~analyzer.fleet.model.FleetResult`.

:data:`FLEET_FORMATS` is :func:`analyzer.report.formats` over the writer modules here: the
same format names and options as the single-target formats. Each format reuses the
single-target writer for the part about one target, so a target reads the same in a fleet
report as on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from analyzer.fleet.model import FleetResult
from analyzer.report import ReportOptions, formats

FleetRenderer = Callable[[FleetResult, ReportOptions], str]

#: Format name -> fleet renderer, with the same names as the single-target formats.
FLEET_FORMATS: Mapping[str, FleetRenderer] = formats(__name__, FleetResult)

__all__ = ["FLEET_FORMATS", "FleetRenderer"]
