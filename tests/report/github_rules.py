"""What GitHub code scanning requires of a SARIF upload, checked on a parsed document.

Covers the rejections documented for image scanners: empty or scheme-like URIs, missing
locations, undefined ``uriBaseId``, duplicate rules, missing rule texts, malformed
``security-severity``, missing regions and fingerprints, and the size and count limits.
:func:`github_problems` returns every problem found; an empty list means GitHub accepts it.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_TAGS = 20
MAX_TEXT = 1024
MAX_NAME = 255
MAX_GZIP_BYTES = 10 * 1024 * 1024
LEVELS = {"none", "note", "warning", "error"}
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def github_problems(doc: Mapping[str, Any]) -> list[str]:
    """Every reason GitHub would reject or mis-handle ``doc`` (empty when it is fine)."""
    problems: list[str] = []
    if not doc.get("$schema"):
        problems.append("$schema is missing")
    if doc.get("version") != "2.1.0":
        problems.append(f"version is {doc.get('version')!r}, not '2.1.0'")
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        return [*problems, "runs must be a non-empty list"]
    if len(runs) > MAX_RUNS:
        problems.append(f"{len(runs)} runs exceed the limit of {MAX_RUNS}")
    categories: set[str] = set()
    for number, run in enumerate(runs):
        where = f"runs[{number}]"
        problems += _run_problems(run, where)
        automation = run.get("automationDetails", {}).get("id", "")
        category = automation.rpartition("/")[0]
        if category in categories:
            problems.append(f"{where}: category {category!r} is used by another run")
        categories.add(category)
    size = len(gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8")))
    if size > MAX_GZIP_BYTES:
        problems.append(f"gzip-compressed size {size} exceeds {MAX_GZIP_BYTES} bytes")
    return problems


def _run_problems(run: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    driver = run.get("tool", {}).get("driver", {})
    if not driver.get("name"):
        problems.append(f"{where}: tool.driver.name is missing")
    if not run.get("automationDetails", {}).get("id"):
        problems.append(f"{where}: automationDetails.id is missing")
    rules = driver.get("rules", [])
    if len(rules) > MAX_RULES:
        problems.append(f"{where}: {len(rules)} rules exceed {MAX_RULES}")
    ids = [rule.get("id", "") for rule in rules]
    duplicates = sorted(rule_id for rule_id, count in Counter(ids).items() if count > 1)
    if duplicates:
        problems.append(f"{where}: duplicate rules {duplicates}")
    for index, rule in enumerate(rules):
        problems += _rule_problems(rule, f"{where}.tool.driver.rules[{index}]")
    bases = run.get("originalUriBaseIds", {})
    results = run.get("results")
    if not isinstance(results, list):
        return [*problems, f"{where}: results must be a list"]
    if len(results) > MAX_RESULTS:
        problems.append(f"{where}: {len(results)} results exceed {MAX_RESULTS}")
    for index, result in enumerate(results):
        problems += _result_problems(result, ids, bases, f"{where}.results[{index}]")
    for invocation in run.get("invocations", []):
        for note in invocation.get("toolExecutionNotifications", []):
            if not note.get("message", {}).get("text"):
                problems.append(f"{where}: a notification has no message text")
    return problems


def _rule_problems(rule: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    if not rule.get("id"):
        problems.append(f"{where}: id is missing")
    for key in ("shortDescription", "fullDescription", "help"):
        text = rule.get(key, {}).get("text", "")
        if not text:
            problems.append(f"{where}: {key}.text is missing or empty")
        elif key != "help" and len(text) > MAX_TEXT:
            problems.append(f"{where}: {key}.text is longer than {MAX_TEXT}")
    if len(rule.get("name", "")) > MAX_NAME:
        problems.append(f"{where}: name is longer than {MAX_NAME}")
    level = rule.get("defaultConfiguration", {}).get("level", "warning")
    if level not in LEVELS:
        problems.append(f"{where}: defaultConfiguration.level {level!r} is not a SARIF level")
    properties = rule.get("properties", {})
    if len(properties.get("tags", [])) > MAX_TAGS:
        problems.append(f"{where}: more than {MAX_TAGS} tags")
    if "security-severity" in properties:
        problems += _severity_problems(properties["security-severity"], where)
    return problems


def _severity_problems(value: Any, where: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{where}: security-severity must be a string, not {type(value).__name__}"]
    try:
        score = float(value)
    except ValueError:
        return [f"{where}: security-severity {value!r} is not a number"]
    if not 0.0 <= score <= 10.0:
        return [f"{where}: security-severity {value!r} is outside 0.0-10.0"]
    return []


def _result_problems(
    result: Mapping[str, Any], rule_ids: list[str], bases: Mapping[str, Any], where: str
) -> list[str]:
    problems: list[str] = []
    rule_id = result.get("ruleId", "")
    if not rule_id:
        problems.append(f"{where}: ruleId is missing")
    elif rule_id not in rule_ids:
        problems.append(f"{where}: ruleId {rule_id!r} is not in tool.driver.rules")
    index = result.get("ruleIndex")
    if index is not None and (index >= len(rule_ids) or rule_ids[index] != rule_id):
        problems.append(f"{where}: ruleIndex {index} does not point at {rule_id!r}")
    if result.get("level", "warning") not in LEVELS:
        problems.append(f"{where}: level {result.get('level')!r} is not a SARIF level")
    if not result.get("message", {}).get("text"):
        problems.append(f"{where}: message.text is missing or empty")
    if not result.get("partialFingerprints", {}).get("primaryLocationLineHash"):
        problems.append(f"{where}: partialFingerprints.primaryLocationLineHash is missing")
    locations = result.get("locations", [])
    if len(locations) != 1:
        return [*problems, f"{where}: {len(locations)} locations, exactly one is expected"]
    physical = locations[0].get("physicalLocation", {})
    artifact = physical.get("artifactLocation", {})
    problems += [f"{where}: {p}" for p in uri_problems(artifact.get("uri", ""))]
    base = artifact.get("uriBaseId")
    if base is not None and base not in bases:
        problems.append(f"{where}: uriBaseId {base!r} is not defined in originalUriBaseIds")
    start = physical.get("region", {}).get("startLine")
    if not isinstance(start, int) or start < 1:
        problems.append(f"{where}: region.startLine {start!r} is not a line number >= 1")
    return problems


def uri_problems(uri: str) -> list[str]:
    """Why an artifact URI would break an upload (empty, scheme-like, absolute, malformed)."""
    if not uri:
        return ["artifactLocation.uri is empty"]
    problems = []
    first = uri.split("/", 1)[0]
    if ":" in first:
        problems.append(f"uri {uri!r} has a colon in its first segment (read as a scheme)")
    if uri.startswith("/"):
        problems.append(f"uri {uri!r} is absolute; in-image paths must be relative")
    if not _URI_CHARS.match(uri):
        problems.append(f"uri {uri!r} has characters RFC 3986 does not allow unencoded")
    if _BAD_PERCENT.search(uri):
        problems.append(f"uri {uri!r} has a '%' that is not a percent-encoding")
    return problems
