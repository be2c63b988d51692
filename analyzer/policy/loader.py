"""Load rule packs (``rules/*.yaml`` or a user's ``--rules`` file) into frozen rules.

Pack schema (version 1)::

    schema: 1
    pack: k0s                      # pack name
    defaults:                      # optional; merged into every rule (lists are replaced)
      profiles: [k0s]
    rules:
      - id: k0s.name-resolution.localhost     # stable, readable, unique across packs
        title: localhost resolves without NSS  # one line
        description: ...                       # what is checked and why (plain text)
        level: error | warning | note
        help: |                                # markdown: how to fix it
          ...
        message: "..."                         # template: {detail}, {subject}
        check: {<leaf or combinator>}          # see below
        subject: image | kernel | binary | ... # what one evaluation is about (default image);
                                               # "file: GLOB ..." is one evaluation per match
        profiles: [k0s, golden-image]          # which --profile values select the rule
        roles: [controller, worker]            # default: both
        targets: [rootfs, vm, container]       # default: all; others are not applicable
        not_applicable: {container: "why"}     # the reason shown for excluded targets
        area: name-resolution                  # grouping in text output
        parent: other.rule.id                  # display nesting (text output)
        tags: [security]
        security-severity: "5.0"               # string, 0.0-10.0, security rules only

A check is one mapping with one key: ``all_of: [checks]``, ``any_of: [checks]``,
``not: check``, ``when: {if: check, then: check}``, or a leaf key from
:data:`analyzer.policy.leaves.LEAVES` with that leaf's parameters. Every error names the file
and line: ``rules/k0s.yaml:12: rule 'x': unknown level 'fatal'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from analyzer.errors import RuleError
from analyzer.model import Level, RuleInfo, TargetKind
from analyzer.policy.leaves import LEAVES
from analyzer.policy.params import ParamError
from analyzer.policy.rule import (
    ALL_ROLES,
    ALL_TARGETS,
    AllOf,
    AnyOf,
    Check,
    LeafCheck,
    Not,
    Rule,
    When,
)
from analyzer.policy.subjects import subject_kind, subject_problem
from analyzer.policy.yamlsrc import key_line, line_of, load

RULE_KEYS = frozenset(
    {
        "id", "title", "description", "level", "help", "message", "check", "subject",
        "profiles", "roles", "targets", "not_applicable", "area", "parent", "tags",
        "security-severity",
    }
)  # fmt: skip
REQUIRED_KEYS = ("id", "title", "level", "help", "message", "check")
PACK_KEYS = frozenset({"schema", "pack", "defaults", "rules"})
_LEAF_TYPES = {leaf.key: leaf for leaf in LEAVES}


class _Where:
    """Formats ``file:line: what`` messages."""

    def __init__(self, name: str) -> None:
        self.name = name

    def error(self, value: Any, message: str, line: int = 0) -> RuleError:
        return RuleError(f"{self.name}:{line_of(value, line)}: {message}")


def load_pack(path: Path, display: str | None = None) -> list[Rule]:
    """Read and validate one pack file."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{name}: cannot read rule pack: {exc}") from exc
    return parse_pack(text, name)


def parse_pack(text: str, name: str) -> list[Rule]:
    """Validate pack text; ``name`` is used in error messages."""
    where = _Where(name)
    try:
        data = load(text, name)
    except ValueError as exc:
        raise RuleError(str(exc)) from exc
    if not isinstance(data, Mapping):
        raise where.error(data, "a rule pack is a mapping with 'schema', 'pack' and 'rules'", 1)
    unknown = sorted(set(data) - PACK_KEYS)
    if unknown:
        raise where.error(data, f"unknown pack key {unknown[0]!r}")
    if data.get("schema") != 1:
        raise where.error(data, "'schema: 1' is required")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise where.error(data, "'rules' must be a non-empty list")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping) or set(defaults) - RULE_KEYS:
        raise where.error(defaults, "'defaults' must be a mapping of rule keys", line_of(data))
    parsed = []
    for raw in rules:
        if not isinstance(raw, Mapping):
            raise where.error(raw, f"each rule must be a mapping, not {type(raw).__name__}")
        parsed.append(_rule({**defaults, **raw}, raw, where))
    return parsed


def _rule(merged: Mapping[str, Any], raw: Mapping[str, Any], where: _Where) -> Rule:
    line = line_of(raw)
    label = f"rule {raw.get('id', '?')!r}"

    def fail(message: str) -> RuleError:
        return RuleError(f"{where.name}:{line}: {label}: {message}")

    unknown = sorted(set(raw) - RULE_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}")
    for key in REQUIRED_KEYS:
        if key not in merged:
            raise fail(f"missing required key {key!r}")
    strings = ("id", "title", "help", "message", "description", "area", "parent", "subject")
    for key in strings:
        if key in merged and not isinstance(merged[key], str):
            raise fail(f"{key!r} must be a string")
    try:
        level = Level(merged["level"])
    except ValueError:
        raise fail(f"unknown level {merged['level']!r} (error, warning, note)") from None
    subject = merged.get("subject", "image")
    problem = subject_problem(subject)
    if problem:
        raise fail(problem)
    roles = _names(merged.get("roles", list(ALL_ROLES)), ALL_ROLES, "roles", fail)
    target_names = [t.value for t in ALL_TARGETS]
    targets = tuple(
        TargetKind(t)
        for t in _names(merged.get("targets", target_names), target_names, "targets", fail)
    )
    profiles = _names(merged.get("profiles", []), None, "profiles", fail)
    tags = _names(merged.get("tags", []), None, "tags", fail)
    severity = merged.get("security-severity")
    if severity is not None and not _valid_severity(severity):
        raise fail("'security-severity' must be a string holding a number from 0.0 to 10.0")
    not_applicable = merged.get("not_applicable", {})
    if not isinstance(not_applicable, Mapping) or set(not_applicable) - set(target_names):
        raise fail("'not_applicable' maps target kinds to reasons")
    check = _check(merged["check"], subject, where, line, label)
    info = RuleInfo(
        id=merged["id"],
        title=merged["title"],
        description=merged.get("description", merged["title"]),
        level=level,
        help_markdown=merged["help"],
        tags=tags,
        profiles=profiles,
        roles=roles,
        area=merged.get("area", "general"),
        parent=merged.get("parent"),
        security_severity=severity,
    )
    return Rule(
        info=info,
        subject=subject,
        check=check,
        message=merged["message"],
        targets=targets,
        not_applicable_reason=dict(not_applicable),
        source=f"{where.name}:{line}",
    )


def _valid_severity(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return 0.0 <= float(value) <= 10.0
    except ValueError:
        return False


def _names(value: Any, allowed: Iterable[str] | None, key: str, fail: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{key!r} must be a list of strings")
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise fail(f"unknown {key[:-1]} {bad[0]!r} ({', '.join(allowed)})")
    return tuple(value)


def _check(raw: Any, subject: str, where: _Where, line: int, label: str) -> Check:
    line = line_of(raw, line)

    def fail(message: str) -> RuleError:
        return RuleError(f"{where.name}:{line}: {label}: {message}")

    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise fail("a check is a mapping with exactly one key (a leaf or all_of/any_of/not/when)")
    ((key, params),) = raw.items()
    if key in ("all_of", "any_of"):
        if not isinstance(params, list) or not params:
            raise fail(f"'{key}' takes a non-empty list of checks")
        children = tuple(_check(child, subject, where, line, label) for child in params)
        return AllOf(children) if key == "all_of" else AnyOf(children)
    if key == "not":
        return Not(_check(params, subject, where, line, label))
    if key == "when":
        if not isinstance(params, Mapping) or set(params) != {"if", "then"}:
            raise fail("'when' takes a mapping with 'if' and 'then'")
        return When(
            _check(params["if"], subject, where, line, label),
            _check(params["then"], subject, where, line, label),
        )
    leaf_type = _LEAF_TYPES.get(key)
    if leaf_type is None:
        raise fail(f"unknown check {key!r}")
    if subject_kind(subject) not in leaf_type.subjects:
        raise fail(
            f"check {key!r} works on subjects {', '.join(leaf_type.subjects)}, not {subject!r}"
        )
    try:
        return LeafCheck(leaf_type(**leaf_type.spec.values(params)))
    except ParamError as exc:
        where_line = key_line(params, exc.param, line_of(params, line))
        raise RuleError(f"{where.name}:{where_line}: {label}: {key}: {exc}") from None


def load_rules(paths: Iterable[tuple[Path, str]]) -> list[Rule]:
    """Load several packs; a rule id defined twice is an error naming both places."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path, display in paths:
        for rule in load_pack(path, display):
            if rule.id in seen:
                raise RuleError(
                    f"{rule.source}: rule id {rule.id!r} already defined at {seen[rule.id]}"
                )
            seen[rule.id] = rule.source
            rules.append(rule)
    known = set(seen)
    for rule in rules:
        if rule.info.parent is not None and rule.info.parent not in known:
            raise RuleError(f"{rule.source}: parent {rule.info.parent!r} is not a known rule id")
    return rules
