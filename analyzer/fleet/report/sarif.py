"""SARIF for a fleet: one run per target, each under its own analysis category.

A scanned target's run is exactly the run the single-target writer makes, with
``automationDetails.id`` = ``<category>/<target name>/`` (``imgaudit/<kind>/<name>/`` by
default, ``<--sarif-category>/<name>/`` when one is given), so GitHub keeps each target's
alerts apart. Names that two targets share get a short hash of the reference appended.

A target that could not be scanned gets a run with no results, ``executionSuccessful:
false`` and the reason as an error notification, under a category of its own
(``.../unreadable/<name>/``): an empty run under the target's usual category would tell
GitHub its alerts are fixed. Notes about the fleet itself go to the first run.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from analyzer.fleet.model import FleetResult, TargetReport
from analyzer.model import JSONObject, Level, Notification, TargetInfo, TargetKind
from analyzer.report.common import clean_text
from analyzer.report.sarif import (
    SARIF_VERSION,
    SCHEMA_URI,
    TOOL_NAME,
    SarifOptions,
    notification,
    sarif_run,
)
from analyzer.report.sarif_location import category, target_name

#: GitHub code scanning rejects an upload with more runs than this.
GITHUB_MAX_RUNS = 20
UNREADABLE = "unreadable"
FAILED_CODE = "fleet.target-failed"
_HASH_CHARS = 8


def render(fleet: FleetResult, options: SarifOptions | None = None) -> str:
    """Render the fleet's SARIF log as minified JSON text."""
    return json.dumps(
        fleet_log(fleet, options or SarifOptions()), ensure_ascii=False, separators=(",", ":")
    )


def fleet_log(fleet: FleetResult, options: SarifOptions) -> JSONObject:
    """Build the fleet's SARIF log (one run per target, in the given order) as a dict."""
    names = unique_names(fleet.targets)
    notes = [notification(n, options.uri_prefix) for n in fleet.notifications]
    runs: list[JSONObject] = []
    for position, (report, name) in enumerate(zip(fleet.targets, names, strict=True)):
        extra = notes if position == 0 else []
        if report.result is None:
            runs.append(_failed_run(report, name, options, fleet.tool_version, extra))
            continue
        chosen = _category(report.result.target, name, options.category)
        run_options = SarifOptions(chosen, options.uri_prefix, options.information_uri)
        runs.append(sarif_run(report.result, run_options, extra))
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": runs}


def _identity(report: TargetReport) -> TargetInfo:
    """The scanned target's identity, or a stand-in naming an unscanned one."""
    if report.result is not None:
        return report.result.target
    scheme, sep, _ = report.reference.partition(":")
    return TargetInfo(report.reference, scheme if sep else "", TargetKind.ROOTFS)


def unique_names(reports: tuple[TargetReport, ...]) -> list[str]:
    """Each target's file-name-safe name; names shared by several get ``-<hash>`` appended."""
    names = [target_name(_identity(report)) for report in reports]
    shared = {name for name, count in Counter(names).items() if count > 1}
    return [
        f"{name}-{_short_hash(report.reference)}" if name in shared else name
        for name, report in zip(names, reports, strict=True)
    ]


def _short_hash(reference: str) -> str:
    digest = hashlib.sha256(reference.encode("utf-8", "surrogateescape")).hexdigest()
    return digest[:_HASH_CHARS]


def _category(target: TargetInfo, name: str, override: str | None) -> str:
    """``<override>/<name>/``, or ``imgaudit/<kind>/<name>/``."""
    if override is not None and override.strip("/ "):
        return f"{override.strip().rstrip('/')}/{name}/"
    base = category(target).rstrip("/").rpartition("/")[0]
    return f"{base}/{name}/"


def _failed_run(
    report: TargetReport, name: str, options: SarifOptions, version: str, extra: list[JSONObject]
) -> JSONObject:
    prefix = TOOL_NAME
    if options.category is not None and options.category.strip("/ "):
        prefix = options.category.strip().rstrip("/")
    driver: JSONObject = {"name": TOOL_NAME, "semanticVersion": version, "rules": []}
    if options.information_uri:
        driver["informationUri"] = options.information_uri
    message = f"{report.reference}: could not be scanned: {report.error}"
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": clean_text(f"{prefix}/{UNREADABLE}/{name}/")},
        "invocations": [
            {
                "executionSuccessful": False,
                "toolExecutionNotifications": [
                    notification(Notification(Level.ERROR, FAILED_CODE, message), ""),
                    *extra,
                ],
            }
        ],
        "results": [],
        "properties": {"target": {"reference": clean_text(report.reference)}, "complete": False},
    }
