"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run; ``tool.driver.rules`` holds the result's rules once each (plus a minimal descriptor
for a finding whose rule is unknown, so ``ruleIndex`` always resolves); one result per finding
with exactly one primary location under the :data:`~analyzer.report.sarif_location.URI_BASE_ID`
pseudo-root, a region, ``partialFingerprints.primaryLocationLineHash`` and ``fingerprints``;
layer attribution and evidence in ``result.properties``; image identity, profiles, roles,
completeness and the count of unverified checks in ``run.properties``; every notification in
``invocations[0]``, plus one (``analysis.unverified``) naming the rules whose error- or
warning-level checks could not be decided. No timestamps:
the same result gives byte-identical output. Output is minified JSON with keys in a fixed,
readable order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.facts import DISK, IMAGE_CONFIG, OS
from analyzer.model import (
    BaselineState,
    Evaluation,
    FactId,
    JSONObject,
    Level,
    Notification,
    PriorResult,
    RuleInfo,
    RunResult,
    Suppression,
)
from analyzer.report.common import (
    clean_text,
    jsonable,
    layer_attribution,
    layer_fields,
    normalise_path,
    sorted_evaluations,
    unique_rules,
    unverified_counts,
    unverified_text,
)
from analyzer.report.sarif_location import (
    CONTENT_KEY,
    DEFAULT_URI_PREFIX,
    FINGERPRINT_KEY,
    URI_BASE_ID,
    base_uri_definition,
    build_location,
    category,
    content_hash,
    identity_hash,
    line_hashes,
    physical_location,
)

#: Key of the stable location hash in ``result.partialFingerprints``.
LINE_HASH_KEY = "primaryLocationLineHash"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "imgaudit"
#: GitHub rejects a run with more results than this; the most severe are kept.
MAX_RESULTS = 25_000
#: GitHub limits for rule text fields and tags.
MAX_DESCRIPTION = 1024
MAX_NAME = 255
MAX_TAGS = 10
DEFAULT_PRECISION = "high"
PROBLEM_SEVERITY = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "recommendation"}
CAPPED_CODE = "report.results-capped"
#: The notification that lists error- and warning-level checks left unknown.
UNVERIFIED_CODE = "analysis.unverified"
_WORD = re.compile(r"[A-Za-z0-9]+")
#: Characters escaped in the text of a message link (SARIF 3.11.6).
_LINK_TEXT = re.compile(r"[\\\[\]]")

#: Facts about the artefact's identity carried in the run properties.
IDENTITY_FACTS: tuple[FactId, ...] = (OS, IMAGE_CONFIG, DISK)


@dataclass(frozen=True, slots=True)
class SarifOptions:
    """How to place and categorise results.

    ``uri_prefix`` is the first part of every artifact URI (``image/etc/hosts``);
    ``category`` overrides ``run.automationDetails.id`` (a ``/`` is appended when missing);
    ``information_uri`` is the tool's home page, emitted only when set.
    """

    category: str | None = None
    uri_prefix: str = DEFAULT_URI_PREFIX
    information_uri: str | None = None


def render(result: RunResult, options: SarifOptions | None = None) -> str:
    """Render the SARIF log of ``result`` as minified JSON text."""
    return json.dumps(
        sarif_log(result, options or SarifOptions()), ensure_ascii=False, separators=(",", ":")
    )


def sarif_log(result: RunResult, options: SarifOptions) -> JSONObject:
    """Build the SARIF log of ``result`` as a JSON-ready dict."""
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [sarif_run(result, options)]}


def sarif_run(
    result: RunResult, options: SarifOptions, extra: Sequence[JSONObject] = ()
) -> JSONObject:
    """The one SARIF run of ``result``; ``extra`` notifications follow its own."""
    rules = unique_rules(result.rules)
    known = {rule.id for rule in rules}
    findings = sorted_evaluations(result.findings, rules)
    for rule_id, level in [
        *((e.rule_id, e.level) for e in findings),
        *((p.rule_id, p.level) for p in result.absent),
    ]:
        if rule_id not in known:
            known.add(rule_id)
            rules.append(_placeholder_rule(rule_id, level))
    index = {rule.id: position for position, rule in enumerate(rules)}
    notifications = list(result.notifications)
    if len(findings) > MAX_RESULTS:
        notifications.append(_capped(len(findings)))
        findings = _most_severe(findings, MAX_RESULTS)
    driver: JSONObject = {"name": TOOL_NAME, "semanticVersion": result.tool_version}
    if options.information_uri:
        driver["informationUri"] = options.information_uri
    driver["rules"] = [_descriptor(rule) for rule in rules]
    run: JSONObject = {
        "tool": {"driver": driver},
        "automationDetails": {"id": clean_text(category(result.target, options.category))},
        "originalUriBaseIds": {URI_BASE_ID: base_uri_definition(options.uri_prefix)},
        "invocations": [
            {
                "executionSuccessful": result.complete,
                "toolExecutionNotifications": [
                    *(notification(n, options.uri_prefix) for n in notifications),
                    *_unverified(result),
                    *extra,
                ],
            }
        ],
        "results": _results(findings, index, options.uri_prefix, result),
        "properties": _run_properties(result),
    }
    return run


def camel_name(rule: RuleInfo) -> str:
    """Return a CamelCase rule name from the title (or the id): ``LocalhostResolvesWithoutNSS``."""
    words = _WORD.findall(rule.title) or _WORD.findall(rule.id) or ["Rule"]
    return "".join(word[:1].upper() + word[1:] for word in words)[:MAX_NAME]


def tags(rule: RuleInfo) -> list[str]:
    """Return the rule's tags, then its profiles and area, without duplicates, at most ten."""
    ordered = [*rule.tags, *([] if rule.security_severity is None else ["security"])]
    ordered += [*rule.profiles, rule.area]
    unique = [clean_text(tag) for tag in dict.fromkeys(t for t in ordered if t)]
    return unique[:MAX_TAGS]


def _descriptor(rule: RuleInfo) -> JSONObject:
    title = clean_text(rule.title.strip() or rule.id)
    description = clean_text(rule.description.strip() or title)
    help_markdown = clean_text(rule.help_markdown.strip() or description)
    properties: JSONObject = {"tags": tags(rule), "precision": DEFAULT_PRECISION}
    if rule.security_severity is not None:
        properties["security-severity"] = str(rule.security_severity)
    else:
        properties["problem.severity"] = PROBLEM_SEVERITY[rule.level]
    if rule.parent:
        properties["parent"] = clean_text(rule.parent)
    return {
        "id": clean_text(rule.id),
        "name": camel_name(rule),
        "shortDescription": {"text": _cut(title)},
        "fullDescription": {"text": _cut(description)},
        "help": {"text": help_markdown, "markdown": help_markdown},
        "defaultConfiguration": {"level": rule.level.value},
        "properties": properties,
    }


def _cut(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 3] + "..."


def _placeholder_rule(rule_id: str, level: Level) -> RuleInfo:
    return RuleInfo(
        id=rule_id,
        title=rule_id,
        description=f"Rule {rule_id} (no description was loaded).",
        level=level,
        help_markdown=f"See the rule pack that defines `{rule_id}`.",
    )


def _results(
    findings: list[Evaluation], index: dict[str, int], prefix: str, result: RunResult
) -> list[JSONObject]:
    results: list[JSONObject] = []
    for evaluation, line_hash in zip(findings, line_hashes(findings), strict=True):
        body: JSONObject = {
            "ruleId": clean_text(evaluation.rule_id),
            "ruleIndex": index[evaluation.rule_id],
            "level": evaluation.level.value,
            "message": {"text": message_text(evaluation.message, evaluation.rule_id)},
            "locations": [physical_location(evaluation.location, prefix)],
            "partialFingerprints": {LINE_HASH_KEY: line_hash},
            "fingerprints": {
                FINGERPRINT_KEY: identity_hash(evaluation),
                CONTENT_KEY: content_hash(evaluation),
            },
        }
        if evaluation.baseline is not None:
            body["baselineState"] = evaluation.baseline.value
        if evaluation.suppression is not None:
            body["suppressions"] = [suppression(evaluation.suppression)]
        properties = _result_properties(evaluation, result)
        body["properties"] = properties
        if evaluation.origin is not None:
            _on_build_line(body, properties, evaluation, prefix)
        results.append(body)
    for prior in result.absent:
        results.append(_absent(prior, index, prefix))
    return results


def message_text(message: str, rule_id: str) -> str:
    """A result's ``message.text``: the message, or the rule id when it is empty."""
    return clean_text(message.strip() or rule_id)


def suppression(entry: Suppression) -> JSONObject:
    """The SARIF ``suppression`` of a finding an entry of a suppression file accepts."""
    properties: JSONObject = {
        "rule": clean_text(entry.rule),
        "path": clean_text(entry.path),
        "source": clean_text(entry.source.describe()),
    }
    if entry.expires is not None:
        properties["expires"] = entry.expires
    return {
        "kind": "external",
        "status": "accepted",
        "justification": clean_text(entry.reason),
        "properties": properties,
    }


def _absent(prior: PriorResult, index: dict[str, int], prefix: str) -> JSONObject:
    """A finding of the baseline run that this run no longer has, carried over as ``absent``."""
    locations = [dict(location) for location in prior.sarif_locations] or [
        physical_location(prior.location, prefix)
    ]
    body: JSONObject = {
        "ruleId": clean_text(prior.rule_id),
        "ruleIndex": index[prior.rule_id],
        "level": prior.level.value,
        "message": {"text": message_text(prior.message, prior.rule_id)},
        "locations": locations,
        "partialFingerprints": {LINE_HASH_KEY: prior.fingerprint},
        "baselineState": BaselineState.ABSENT.value,
        "properties": {"path": clean_text(normalise_path(prior.location.path))},
    }
    if prior.sarif_related:
        body["relatedLocations"] = [dict(location) for location in prior.sarif_related]
    return body


def _on_build_line(
    body: JSONObject, properties: JSONObject, evaluation: Evaluation, prefix: str
) -> None:
    """Make the build step's line the primary location; the image path becomes related.

    The message links the related location (``[path](1)``), so code scanning shows where in
    the image the finding is. Fingerprints stay those of the image path.
    """
    step = evaluation.origin
    if step is None:
        return
    path = clean_text(normalise_path(evaluation.location.path))
    shown = _LINK_TEXT.sub(lambda m: "\\" + m.group(0), path)
    text = message_text(evaluation.message, evaluation.rule_id)
    body["message"] = {"text": f"{text} (in the image: [{shown}](1))"}
    body["locations"] = [build_location(step)]
    related = physical_location(evaluation.location, prefix)
    body["relatedLocations"] = [{"id": 1, **related, "message": {"text": f"in the image: {path}"}}]
    properties["build"] = {
        "uri": clean_text(step.uri),
        "line": step.line,
        "instruction": clean_text(step.instruction),
    }


def _result_properties(evaluation: Evaluation, result: RunResult) -> JSONObject:
    location = evaluation.location
    properties: JSONObject = {"path": clean_text(normalise_path(location.path))}
    if location.access_path and location.access_path != location.path:
        properties["accessPath"] = clean_text(location.access_path)
    if evaluation.subject:
        properties["subject"] = clean_text(evaluation.subject)
    if evaluation.evidence:
        properties["evidence"] = [clean_text(item) for item in evaluation.evidence]
    layer = layer_attribution(result.target, location)
    if layer:
        properties["layer"] = layer
    if evaluation.properties:
        properties["details"] = jsonable(evaluation.properties)
    return properties


def _run_properties(result: RunResult) -> JSONObject:
    target = result.target
    return {
        "target": {
            "reference": clean_text(target.reference),
            "source": clean_text(target.source),
            "kind": target.kind.value,
            "properties": jsonable(target.properties),
        },
        "layers": jsonable([layer_fields(layer) for layer in target.layers]),
        "profiles": jsonable(list(result.profiles)),
        "roles": jsonable(list(result.roles)),
        "complete": result.complete,
        "unverified": unverified_counts(result),
        "identity": _identity(result),
    }


def _identity(result: RunResult) -> JSONObject:
    """What the artefact says it is (OS, image config, disk layout), from the present facts."""
    identity: JSONObject = {}
    for key in IDENTITY_FACTS:
        fact = result.facts.untyped(key)
        if fact.is_present:
            identity[key.name] = jsonable(fact.value)
    return identity


def notification(note: Notification, prefix: str) -> JSONObject:
    """A ``toolExecutionNotifications`` entry for ``note`` (its location under ``prefix``)."""
    body: JSONObject = {
        "level": note.level.value,
        "message": {"text": clean_text(note.message.strip() or note.code)},
        "descriptor": {"id": clean_text(note.code)},
    }
    if note.location is not None:
        body["locations"] = [physical_location(note.location, prefix)]
    return body


def _unverified(result: RunResult) -> list[JSONObject]:
    """One notification naming the rules whose error- or warning-level checks stayed unknown."""
    text = unverified_text(result)
    if not text:
        return []
    ordered = sorted_evaluations(result.unverified, result.rules)
    rule_ids = [clean_text(rule_id) for rule_id in dict.fromkeys(e.rule_id for e in ordered)]
    return [
        {
            "level": Level.WARNING.value,
            "message": {"text": f"{text} (unknown): {', '.join(rule_ids)}"},
            "descriptor": {"id": UNVERIFIED_CODE},
            "properties": {"ruleIds": rule_ids, "counts": unverified_counts(result)},
        }
    ]


def _capped(total: int) -> Notification:
    return Notification(
        Level.WARNING,
        CAPPED_CODE,
        f"{total} findings exceed the SARIF limit of {MAX_RESULTS} results per run; "
        f"only the {MAX_RESULTS} most severe are included",
    )


def _most_severe(findings: list[Evaluation], limit: int) -> list[Evaluation]:
    ranked = sorted(range(len(findings)), key=lambda i: (-findings[i].level.rank, i))
    return [findings[i] for i in sorted(ranked[:limit])]
