"""One rule of a pack, and its check tree, validated into frozen objects.

Every error names the file and the line of the key at fault (a rule key given in the pack's
``defaults`` is blamed on its line there): ``rules/k0s.yaml:12: rule 'x': unknown level
'fatal'``. See :mod:`analyzer.policy.loader` for the pack around the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from analyzer.errors import RuleError
from analyzer.model import YAML, Level, RuleInfo, TargetKind
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
    defaults: Mapping[str, YAML] = field(default_factory=dict)
    snippets: Snippets = field(default_factory=Snippets)


@dataclass(frozen=True)
class _RuleSource:
    """One rule's raw mapping with its defaults, and how to blame a key."""

    pack: PackContext
    raw: Mapping[str, YAML]

    @property
    def merged(self) -> dict[str, YAML]:
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


def parse_rule(raw: Mapping[str, YAML], pack: PackContext) -> Rule:
    """Validate one rule (its pack's defaults merged in) into a :class:`Rule`."""
    src = _RuleSource(pack, raw)
    merged = src.merged
    unknown = sorted(set(raw) - RULE_KEYS)
    if unknown:
        raise src.fail(f"unknown key {unknown[0]!r}", unknown[0])
    for key in REQUIRED_KEYS:
        if key not in merged:
            raise src.fail(f"missing required key {key!r}")
    texts: dict[str, str] = {}
    for key in _STRINGS:
        value = merged.get(key)
        if key in merged and not isinstance(value, str):
            raise src.fail(f"{key!r} must be a string", key)
        if isinstance(value, str):
            texts[key] = value
    try:
        level = Level(merged["level"])
    except ValueError:
        raise src.fail(
            f"unknown level {merged['level']!r} (error, warning, note)", "level"
        ) from None
    subject = _subject(src, merged)
    try:
        check(texts["message"], MESSAGE_FIELDS)
    except TemplateError as exc:
        raise src.fail(f"'message': {exc}", "message") from None
    try:
        help_markdown = pack.snippets.render(merged["help"])
    except TemplateError as exc:
        raise src.fail(f"'help': {exc}", "help") from None
    roles = _names(src, merged, "roles", ALL_ROLES)
    targets = tuple(TargetKind(t) for t in _names(src, merged, "targets", _TARGET_NAMES))
    severity = _severity(src, merged)
    not_applicable = _reasons(src, merged)
    info = RuleInfo(
        id=texts["id"],
        title=texts["title"],
        description=texts.get("description", texts["title"]),
        level=level,
        help_markdown=help_markdown,
        tags=_names(src, merged, "tags", None),
        profiles=_names(src, merged, "profiles", None),
        roles=roles,
        area=texts.get("area", "general"),
        parent=texts.get("parent"),
        security_severity=severity,
    )
    return Rule(
        info=info,
        subject=subject,
        check=_check(merged["check"], subject, src, src.line_of("check")),
        message=texts["message"],
        targets=targets,
        not_applicable_reason=not_applicable,
        source=f"{pack.name}:{src.line}",
    )


def _subject(src: _RuleSource, merged: Mapping[str, YAML]) -> SubjectSpec:
    if "subject" not in merged:
        return IMAGE
    try:
        return parse_subject(merged["subject"])
    except ParamError as exc:
        raise src.fail(str(exc), "subject") from None


def _severity(src: _RuleSource, merged: Mapping[str, YAML]) -> str | None:
    value = merged.get("security-severity")
    if value is None:
        return None
    if not isinstance(value, str) or not _valid_severity(value):
        raise src.fail(
            "'security-severity' must be a string holding a number from 0.0 to 10.0",
            "security-severity",
        )
    return value


def _valid_severity(value: str) -> bool:
    try:
        return 0.0 <= float(value) <= 10.0
    except ValueError:
        return False


def _reasons(src: _RuleSource, merged: Mapping[str, YAML]) -> dict[str, str]:
    value = merged.get("not_applicable", {})
    wrong = src.fail("'not_applicable' maps target kinds to reasons", "not_applicable")
    if not isinstance(value, Mapping):
        raise wrong
    reasons = {kind: why for kind, why in value.items() if isinstance(why, str)}
    if len(reasons) != len(value) or set(reasons) - set(_TARGET_NAMES):
        raise wrong
    return reasons


def _names(
    src: _RuleSource, merged: Mapping[str, YAML], key: str, allowed: Iterable[str] | None
) -> tuple[str, ...]:
    value = merged.get(key, _DEFAULT_NAMES.get(key, []))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise src.fail(f"{key!r} must be a list of strings", key)
    names = [v for v in value if isinstance(v, str)]
    if allowed is not None:
        bad = [v for v in names if v not in allowed]
        if bad:
            raise src.fail(f"unknown {key[:-1]} {bad[0]!r} ({', '.join(allowed)})", key)
    return tuple(names)


def _check(raw: YAML, subject: SubjectSpec, src: _RuleSource, line: int) -> Check:
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
        return LeafCheck(leaf_type.spec.build(leaf_type, params))
    except ParamError as exc:
        raise src.fail(f"{key}: {exc}", line=key_line(params, exc.param, line)) from None
