"""One rule of a pack, and its check tree, validated into frozen objects.

Every error names the file and the line of the key at fault (a rule key given in the pack's
``defaults`` is blamed on its line there): ``rules/k0s.yaml:12: rule 'x': unknown level
'fatal'``. See :mod:`analyzer.policy.loader` for the pack around the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
from analyzer.policy.snippets import Snippets
from analyzer.policy.subjects import IMAGE, SubjectSpec, parse_subject
from analyzer.policy.templates import MESSAGE_FIELDS, TemplateError, check
from analyzer.yamlsrc import key_line, line_of

RULE_KEYS = frozenset(
    {
        "id", "title", "description", "level", "help", "message", "check", "subject",
        "profiles", "roles", "targets", "not_applicable", "area", "parent", "tags",
        "security-severity",
    }
)  # fmt: skip
REQUIRED_KEYS = ("id", "title", "level", "help", "message", "check")
_LEAF_TYPES = {leaf.key: leaf for leaf in LEAVES}
_STRINGS = ("id", "title", "message", "description", "area", "parent")
_TARGET_NAMES = tuple(t.value for t in ALL_TARGETS)
#: What ``roles`` and ``targets`` are when neither the rule nor the defaults name them.
_DEFAULT_NAMES = {"roles": list(ALL_ROLES), "targets": list(_TARGET_NAMES)}


@dataclass(frozen=True)
class PackContext:
    """What a rule is read against: the pack's file name, defaults and help snippets."""

    name: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    snippets: Snippets = field(default_factory=Snippets)


@dataclass(frozen=True)
class _RuleSource:
    """One rule's raw mapping with its defaults, and how to blame a key."""

    pack: PackContext
    raw: Mapping[str, Any]

    @property
    def merged(self) -> dict[str, Any]:
        return {**self.pack.defaults, **self.raw}

    @property
    def line(self) -> int:
        return line_of(self.raw)

    @property
    def label(self) -> str:
        return f"rule {self.raw.get('id', '?')!r}"

    def line_of(self, key: str) -> int:
        """The line of ``key`` in the rule, else in the defaults, else the rule's line."""
        where = self.raw if key in self.raw else self.pack.defaults
        return key_line(where, key, self.line) if key in where else self.line

    def fail(self, message: str, key: str = "", line: int = 0) -> RuleError:
        at = line or (self.line_of(key) if key else self.line)
        return RuleError(f"{self.pack.name}:{at}: {self.label}: {message}")


def parse_rule(raw: Mapping[str, Any], pack: PackContext) -> Rule:
    """Validate one rule (its pack's defaults merged in) into a :class:`Rule`."""
    src = _RuleSource(pack, raw)
    merged = src.merged
    unknown = sorted(set(raw) - RULE_KEYS)
    if unknown:
        raise src.fail(f"unknown key {unknown[0]!r}", unknown[0])
    for key in REQUIRED_KEYS:
        if key not in merged:
            raise src.fail(f"missing required key {key!r}")
    for key in _STRINGS:
        if key in merged and not isinstance(merged[key], str):
            raise src.fail(f"{key!r} must be a string", key)
    try:
        level = Level(merged["level"])
    except ValueError:
        raise src.fail(
            f"unknown level {merged['level']!r} (error, warning, note)", "level"
        ) from None
    subject = _subject(src, merged)
    try:
        check(merged["message"], MESSAGE_FIELDS)
    except TemplateError as exc:
        raise src.fail(f"'message': {exc}", "message") from None
    try:
        help_markdown = pack.snippets.render(merged["help"])
    except TemplateError as exc:
        raise src.fail(f"'help': {exc}", "help") from None
    roles = _names(src, merged, "roles", ALL_ROLES)
    targets = tuple(TargetKind(t) for t in _names(src, merged, "targets", _TARGET_NAMES))
    severity = merged.get("security-severity")
    if severity is not None and not _valid_severity(severity):
        raise src.fail(
            "'security-severity' must be a string holding a number from 0.0 to 10.0",
            "security-severity",
        )
    not_applicable = merged.get("not_applicable", {})
    if not isinstance(not_applicable, Mapping) or set(not_applicable) - set(_TARGET_NAMES):
        raise src.fail("'not_applicable' maps target kinds to reasons", "not_applicable")
    info = RuleInfo(
        id=merged["id"],
        title=merged["title"],
        description=merged.get("description", merged["title"]),
        level=level,
        help_markdown=help_markdown,
        tags=_names(src, merged, "tags", None),
        profiles=_names(src, merged, "profiles", None),
        roles=roles,
        area=merged.get("area", "general"),
        parent=merged.get("parent"),
        security_severity=severity,
    )
    return Rule(
        info=info,
        subject=subject,
        check=_check(merged["check"], subject, src, src.line_of("check")),
        message=merged["message"],
        targets=targets,
        not_applicable_reason=dict(not_applicable),
        source=f"{pack.name}:{src.line}",
    )


def _subject(src: _RuleSource, merged: Mapping[str, Any]) -> SubjectSpec:
    if "subject" not in merged:
        return IMAGE
    try:
        return parse_subject(merged["subject"])
    except ParamError as exc:
        raise src.fail(str(exc), "subject") from None


def _valid_severity(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return 0.0 <= float(value) <= 10.0
    except ValueError:
        return False


def _names(
    src: _RuleSource, merged: Mapping[str, Any], key: str, allowed: Iterable[str] | None
) -> tuple[str, ...]:
    value = merged.get(key, _DEFAULT_NAMES.get(key, []))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise src.fail(f"{key!r} must be a list of strings", key)
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise src.fail(f"unknown {key[:-1]} {bad[0]!r} ({', '.join(allowed)})", key)
    return tuple(value)


def _check(raw: Any, subject: SubjectSpec, src: _RuleSource, line: int) -> Check:
    line = line_of(raw, line)
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise src.fail(
            "a check is a mapping with exactly one key (a leaf or all_of/any_of/not/when)",
            line=line,
        )
    ((key, params),) = raw.items()
    if key in ("all_of", "any_of"):
        if not isinstance(params, list) or not params:
            raise src.fail(f"'{key}' takes a non-empty list of checks", line=line)
        children = tuple(_check(child, subject, src, line) for child in params)
        return AllOf(children) if key == "all_of" else AnyOf(children)
    if key == "not":
        return Not(_check(params, subject, src, line))
    if key == "when":
        if not isinstance(params, Mapping) or set(params) != {"if", "then"}:
            raise src.fail("'when' takes a mapping with 'if' and 'then'", line=line)
        return When(
            _check(params["if"], subject, src, line), _check(params["then"], subject, src, line)
        )
    leaf_type = _LEAF_TYPES.get(key)
    if leaf_type is None:
        raise src.fail(f"unknown check {key!r}", line=line)
    if subject.kind not in leaf_type.subjects:
        kinds = ", ".join(leaf_type.subjects)
        raise src.fail(f"check {key!r} works on subjects {kinds}, not {subject}", line=line)
    try:
        return LeafCheck(leaf_type(**leaf_type.spec.values(params)))
    except ParamError as exc:
        raise src.fail(f"{key}: {exc}", line=key_line(params, exc.param, line)) from None
