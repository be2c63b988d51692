"""Compare a run's findings with the SARIF log of a previous run (``--baseline``).

Findings are matched by ``partialFingerprints.primaryLocationLineHash``, which depends only on
the rule id, the in-image path and the discriminator (never on the line, the image reference
or the SARIF location): same fingerprint and same message and level is ``unchanged``, same
fingerprint with another message or level is ``updated`` (compared by the
``imgaudit/content/v1`` fingerprint, so the way a writer words the message does not count),
an unmatched finding is ``new``, and a previous finding that has no match is carried into the
run as ``absent``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analyzer.errors import UsageError
from analyzer.model import (
    JSON,
    BaselineState,
    Evaluation,
    Level,
    Location,
    PriorResult,
    RunResult,
)
from analyzer.report.common import evaluation_key, unique_rules
from analyzer.report.sarif import LINE_HASH_KEY, TOOL_NAME, message_text
from analyzer.report.sarif_location import CONTENT_KEY, category, content_hash, line_hashes
from analyzer.userfiles import read_user_text

#: Largest baseline read (a SARIF log of tens of thousands of results is tens of MB).
MAX_BASELINE_BYTES = 64 << 20

#: The SARIF version a baseline must have.
SARIF_VERSION = "2.1.0"


@dataclass(frozen=True, slots=True)
class Baseline:
    """The findings of a previous run by fingerprint, for each of its runs by category.

    ``name`` is the file as given; ``runs`` maps ``automationDetails.id`` to that run's
    findings (a fleet scan's log has several runs, a single scan's one).
    """

    name: str
    runs: Mapping[str, Mapping[str, PriorResult]]

    def results_for(self, category_id: str) -> Mapping[str, PriorResult]:
        """The findings of the run for ``category_id`` (the only run, when there is one)."""
        if len(self.runs) == 1:
            return next(iter(self.runs.values()))
        if category_id in self.runs:
            return self.runs[category_id]
        raise UsageError(
            f"{self.name}: none of the baseline's {len(self.runs)} runs is {category_id!r}"
        )


def read_baseline(path: str) -> Baseline:
    """Read the SARIF log an earlier ``imgaudit scan --format sarif`` wrote.

    Raises :class:`~analyzer.errors.UsageError` (``FILE: problem``) for a file that cannot be
    read, is not JSON, or is not a SARIF 2.1.0 log written by imgaudit.
    """
    text = read_user_text(path, MAX_BASELINE_BYTES, "baseline")
    try:
        doc: JSON = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{path}: the baseline is not JSON ({exc})") from exc
    runs: dict[str, Mapping[str, PriorResult]] = {}
    for number, run in enumerate(_runs(doc, path)):
        where = f"{path}: runs[{number}]"
        details = run.get("automationDetails")
        category_id = details.get("id") if isinstance(details, dict) else None
        raw = run.get("results", [])
        if not isinstance(raw, list):
            raise UsageError(f"{where}.results is not a list")
        results: dict[str, PriorResult] = {}
        for index, body in enumerate(raw):
            prior = _prior(body, f"{where}.results[{index}]")
            if prior is not None:
                results.setdefault(prior.fingerprint, prior)
        runs[category_id if isinstance(category_id, str) else str(number)] = results
    return Baseline(path, runs)


def _runs(doc: JSON, path: str) -> list[dict[str, JSON]]:
    if not isinstance(doc, dict) or doc.get("version") != SARIF_VERSION:
        raise UsageError(f"{path}: the baseline is not a SARIF {SARIF_VERSION} log")
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        raise UsageError(f"{path}: the baseline has no runs")
    objects = [run for run in runs if isinstance(run, dict)]
    if len(objects) != len(runs):
        raise UsageError(f"{path}: the baseline has no runs")
    if any(_driver(r) != TOOL_NAME for r in objects):
        raise UsageError(f"{path}: the baseline was not written by {TOOL_NAME}")
    return objects


def _driver(run: Mapping[str, JSON]) -> JSON:
    tool = run.get("tool")
    driver = tool.get("driver") if isinstance(tool, dict) else None
    return driver.get("name") if isinstance(driver, dict) else None


def _prior(body: JSON, where: str) -> PriorResult | None:
    """One previous result (``None`` for one that was already absent in that run)."""
    if not isinstance(body, dict):
        raise UsageError(f"{where} is not an object")
    if body.get("baselineState") == BaselineState.ABSENT.value:
        return None
    rule_id = body.get("ruleId")
    fingerprints = body.get("partialFingerprints")
    fingerprint = fingerprints.get(LINE_HASH_KEY) if isinstance(fingerprints, dict) else None
    message = body.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    try:
        level = Level(body.get("level", Level.WARNING.value))
    except ValueError:
        raise UsageError(f"{where}: unknown level {body.get('level')!r}") from None
    if not isinstance(rule_id, str) or not isinstance(fingerprint, str) or not fingerprint:
        raise UsageError(f"{where}: no ruleId or {LINE_HASH_KEY}")
    if not isinstance(text, str):
        raise UsageError(f"{where}: no message text")
    locations = _objects(body, "locations", where)
    related = _objects(body, "relatedLocations", where)
    properties = body.get("properties")
    path = properties.get("path") if isinstance(properties, dict) else None
    line = _line(locations)
    location = Location(path if isinstance(path, str) else "/", line)
    hashes = body.get("fingerprints")
    content = hashes.get(CONTENT_KEY) if isinstance(hashes, dict) else None
    return PriorResult(
        rule_id,
        level,
        text,
        location,
        fingerprint,
        tuple(locations),
        content if isinstance(content, str) else None,
        tuple(related),
    )


def _objects(body: Mapping[str, JSON], key: str, where: str) -> list[Mapping[str, JSON]]:
    items = body.get(key, [])
    if not isinstance(items, list):
        raise UsageError(f"{where}: {key} is not a list of objects")
    objects: list[Mapping[str, JSON]] = [item for item in items if isinstance(item, dict)]
    if len(objects) != len(items):
        raise UsageError(f"{where}: {key} is not a list of objects")
    return objects


def _line(locations: Sequence[Mapping[str, JSON]]) -> int | None:
    physical = locations[0].get("physicalLocation") if locations else None
    region = physical.get("region") if isinstance(physical, dict) else None
    line = region.get("startLine") if isinstance(region, dict) else None
    return line if isinstance(line, int) else None


def compare(result: RunResult, baseline: Baseline, category_id: str | None = None) -> RunResult:
    """``result`` with each finding's baseline state set and the vanished findings added.

    ``category_id`` is the SARIF category of ``result``'s run (``--sarif-category``, else
    derived from the target), which picks the run out of a baseline that has several.
    """
    previous = baseline.results_for(category(result.target, category_id))
    order = {rule.id: n for n, rule in enumerate(unique_rules(result.rules))}
    evaluations = list(result.evaluations)
    indices = sorted(
        (i for i, e in enumerate(evaluations) if e.is_finding),
        key=lambda i: evaluation_key(evaluations[i], order),
    )
    hashes = line_hashes(evaluations[i] for i in indices)
    for index, fingerprint in zip(indices, hashes, strict=True):
        evaluations[index] = _marked(evaluations[index], previous.get(fingerprint))
    seen = set(hashes)
    absent = tuple(
        sorted(
            (p for fp, p in previous.items() if fp not in seen),
            key=lambda p: (p.rule_id, p.location.path, p.fingerprint),
        )
    )
    return dataclasses.replace(
        result, evaluations=tuple(evaluations), baseline=baseline.name, absent=absent
    )


def _marked(finding: Evaluation, prior: PriorResult | None) -> Evaluation:
    if prior is None:
        state = BaselineState.NEW
    elif prior.content is not None:
        same = prior.content == content_hash(finding)
        state = BaselineState.UNCHANGED if same else BaselineState.UPDATED
    elif (prior.level, prior.message) == (
        finding.level,
        message_text(finding.message, finding.rule_id),
    ):
        state = BaselineState.UNCHANGED
    else:
        state = BaselineState.UPDATED
    return dataclasses.replace(finding, baseline=state)
