r"""Helpers shared by the report writers: generic JSON conversion, layer attribution, ordering.

Everything here is pure. :func:`jsonable` is the one place that decides how a value from the
result model (facts, evaluation properties, target properties) becomes JSON:

* ``None``, ``bool``, ``int`` and ``str`` stay as they are; a finite ``float`` too, while NaN
  and infinities become strings (JSON has no spelling for them);
* an enum becomes its value, converted again;
* a dataclass instance becomes an object of its fields in declaration order, skipping fields
  whose name starts with ``_`` (so a :class:`~analyzer.facts.Fact` becomes
  ``{state, value, location, reason}`` and a :class:`~analyzer.model.Location`
  ``{path, line, access_path, layer}``);
* a mapping becomes an object with string keys (enum keys by value, others with ``str``),
  sorted by key so that output does not depend on insertion order;
* tuples and lists become arrays; sets become arrays sorted by their JSON text;
* ``bytes`` become text, invalid UTF-8 shown as ``\\xNN`` escapes;
* anything else becomes ``str(value)``.

Strings are cleaned: lone surrogates (undecodable bytes from file names) become ``\\xNN``
escapes, so every report encodes as UTF-8.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from analyzer.model import (
    JSON,
    BaselineState,
    Evaluation,
    LayerInfo,
    Level,
    Location,
    Outcome,
    RuleInfo,
    RunResult,
    TargetInfo,
)

#: Rules that share one unknown reason are summarised in one line from this many on.
MIN_SHARED = 3

#: Keys of a ``TargetInfo.layers`` entry copied into a finding's layer attribution, in order.
LAYER_KEYS = ("id", "digest", "diff_id", "created_by", "description")


def clean_text(text: str) -> str:
    r"""Make ``text`` encodable as UTF-8: surrogate-escaped bytes become ``\\xNN``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")
    return text


def jsonable(value: object) -> JSON:
    """Convert ``value`` into JSON-ready data (see the module docstring for the rules)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, Mapping):
        items = {_key(k): jsonable(v) for k, v in value.items()}
        return {k: items[k] for k in sorted(items)}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        converted = [jsonable(v) for v in value]
        return sorted(converted, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    return clean_text(str(value))


def _key(key: object) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    return clean_text(key if isinstance(key, str) else str(key))


def normalise_path(path: str) -> str:
    """Return the absolute, normalised in-image path: ``//etc/./hosts`` -> ``/etc/hosts``."""
    normal = posixpath.normpath("/" + path.lstrip("/"))
    return "/" + normal.lstrip("/")


def is_bare_root(location: Location) -> bool:
    """True for the image root with no line and no access path: a location that says nothing."""
    return location.path == "/" and location.line is None and not location.access_path


def layer_attribution(target: TargetInfo, location: Location) -> dict[str, str]:
    """Return what the target knows about the layer that supplied ``location`` (empty if none).

    Keys are those of :data:`LAYER_KEYS` that the matching ``target.layers`` entry (the one
    whose ``id`` is ``location.layer``) has; an unknown layer id still gives ``{"id": ...}``.
    """
    if not location.layer:
        return {}
    for layer in target.layers:
        if layer.id == location.layer:
            described = layer_fields(layer)
            return {key: str(described[key]) for key in LAYER_KEYS if key in described}
    return {"id": clean_text(location.layer)}


def layer_fields(layer: LayerInfo) -> dict[str, str]:
    """The fields a layer has (those unset for its kind of layer left out), as report text."""
    values = {
        "id": layer.id,
        "digest": layer.digest,
        "diff_id": layer.diff_id,
        "created_by": layer.created_by,
        "description": layer.description,
        "mountpoint": layer.mountpoint,
    }
    return {key: clean_text(value) for key, value in values.items() if value}


def unique_rules(result_rules: Iterable[RuleInfo]) -> list[RuleInfo]:
    """Return the rules without duplicates (the first of each id wins), in their original order."""
    seen: dict[str, RuleInfo] = {}
    for rule in result_rules:
        seen.setdefault(rule.id, rule)
    return list(seen.values())


#: A report order key: rule order, rule id, path, line, discriminator, subject, outcome, message.
OrderKey = tuple[int, str, str, int, str, str, str, str]


def evaluation_key(evaluation: Evaluation, rule_order: Mapping[str, int]) -> OrderKey:
    """Return the stable report order key: rule order, then path, line and discriminator."""
    location = evaluation.location
    return (
        rule_order.get(evaluation.rule_id, len(rule_order)),
        evaluation.rule_id,
        normalise_path(location.path),
        location.line or 0,
        evaluation.discriminator,
        evaluation.subject,
        evaluation.outcome.value,
        evaluation.message,
    )


def sorted_evaluations(
    evaluations: Iterable[Evaluation], rules: Iterable[RuleInfo]
) -> list[Evaluation]:
    """Return ``evaluations`` in the stable report order (see :func:`evaluation_key`)."""
    order = {rule.id: index for index, rule in enumerate(unique_rules(rules))}
    return sorted(evaluations, key=lambda e: evaluation_key(e, order))


def counts(evaluations: Iterable[Evaluation]) -> dict[str, int]:
    """Count findings by level and of the other outcomes, in a fixed key order."""
    tally = {level.value: 0 for level in Level} | {
        "pass": 0,
        "unknown": 0,
        "not_applicable": 0,
    }
    for evaluation in evaluations:
        if evaluation.outcome is Outcome.FAIL:
            tally[evaluation.level.value] += 1
        else:
            tally[evaluation.outcome.value] += 1
    return tally


@dataclass(frozen=True, slots=True)
class SharedUnknown:
    """Rules of one area that could not be decided, all for one reason: one report line."""

    area: str
    reason: str
    rules: tuple[RuleInfo, ...]


def shared_unknowns(
    rules: Iterable[RuleInfo], by_rule: Mapping[str, Sequence[Evaluation]]
) -> list[SharedUnknown]:
    """Groups of at least :data:`MIN_SHARED` rules of one area unknown for one shared reason.

    A rule belongs to a group when every one of its evaluations (``by_rule[rule.id]``) is
    unknown with the same message; groups keep the order of ``rules``.
    """
    groups: dict[tuple[str, str], list[RuleInfo]] = defaultdict(list)
    for rule in rules:
        found = by_rule.get(rule.id, ())
        messages = {e.message for e in found}
        if found and len(messages) == 1 and all(e.outcome is Outcome.UNKNOWN for e in found):
            groups[(rule.area, messages.pop())].append(rule)
    return [
        SharedUnknown(area, reason, tuple(members))
        for (area, reason), members in groups.items()
        if len(members) >= MIN_SHARED
    ]


def unverified_counts(result: RunResult) -> dict[str, int]:
    """Count the run's unverified checks by level: ``{"error": n, "warning": m}``."""
    tally = {Level.ERROR.value: 0, Level.WARNING.value: 0}
    for evaluation in result.unverified:
        tally[evaluation.level.value] += 1
    return tally


def unverified_text(result: RunResult) -> str:
    """``40 error-level and 2 warning-level checks could not be decided`` (empty when none)."""
    tally = unverified_counts(result)
    parts = [f"{count} {level}-level" for level, count in tally.items() if count]
    if not parts:
        return ""
    noun = "check" if sum(tally.values()) == 1 else "checks"
    return f"{' and '.join(parts)} {noun} could not be decided"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """Return ``1 error``, ``2 errors``."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"


def baseline_counts(result: RunResult) -> dict[str, int]:
    """Findings by baseline state, ``absent`` from the baseline run: ``{"new": 1, ...}``."""
    tally = {state.value: 0 for state in BaselineState}
    for finding in result.findings:
        if finding.baseline is not None:
            tally[finding.baseline.value] += 1
    tally[BaselineState.ABSENT.value] = len(result.absent)
    return tally


def baseline_text(result: RunResult) -> str:
    """``1 new, 3 unchanged, 0 updated, 2 absent`` (empty when there was no baseline)."""
    if result.baseline is None:
        return ""
    return ", ".join(f"{count} {state}" for state, count in baseline_counts(result).items())
