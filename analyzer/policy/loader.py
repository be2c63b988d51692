"""Load rule packs (``rules/*.yaml`` or a user's ``--rules`` file) into frozen rules.

Pack schema (version 1)::

    schema: 1
    pack: k0s                      # pack name
    defaults:                      # optional; merged into every rule (lists are replaced)
      profiles: [k0s]
    help:                          # optional; help snippets rules use by name
      kconfig: "Enable `{symbol}` ..."
    capture:                       # optional; files whose content leaves read
      paths: [/etc/ssh/sshd_config]
      max_bytes: 65536
    rules:
      - id: k0s.name-resolution.localhost     # stable, readable, unique across packs
        title: localhost resolves without NSS  # one line
        description: ...                       # what is checked and why (plain text)
        level: error | warning | note
        help: |                                # markdown: how to fix it, or
          ...                                  # {use: SNIPPET, name: value} (pack help:)
        message: "..."                         # template: {detail}, {subject}
        check: {<leaf or combinator>}          # see below
        subject: image | kernel | binary       # what one evaluation is about (default image);
                                               # {file: [GLOB, ...]}: one evaluation per match
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
and line: ``rules/k0s.yaml:12: rule 'x': unknown level 'fatal'``. Rules are read by
:mod:`analyzer.policy.ruleparse`; ``schema/rule-pack.json`` is the same schema for editors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from analyzer.errors import RuleError
from analyzer.model import YAML
from analyzer.policy.capture import parse_capture
from analyzer.policy.params import ParamError
from analyzer.policy.rule import Rule
from analyzer.policy.ruleparse import RULE_KEYS, PackContext, parse_rule
from analyzer.policy.snippets import Snippets, parse_snippets
from analyzer.yamlsrc import key_line, line_of, load

PACK_KEYS = frozenset({"schema", "pack", "defaults", "help", "capture", "rules"})
T = TypeVar("T")


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
    try:
        data = load(text, name)
    except ValueError as exc:
        raise RuleError(str(exc)) from exc

    def fail(key: str, message: str) -> RuleError:
        return RuleError(f"{name}:{key_line(data, key, line_of(data, 1))}: {message}")

    if not isinstance(data, Mapping):
        raise RuleError(f"{name}:1: a rule pack is a mapping with 'schema', 'pack' and 'rules'")
    unknown = sorted(set(data) - PACK_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown pack key {unknown[0]!r}")
    if data.get("schema") != 1:
        raise fail("schema", "'schema: 1' is required")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise fail("rules", "'rules' must be a non-empty list")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping) or set(defaults) - RULE_KEYS:
        raise fail("defaults", "'defaults' must be a mapping of rule keys")
    snippets = _section(name, data, "help", parse_snippets) or Snippets()
    capture = _section(name, data, "capture", parse_capture)
    pack = PackContext(name, defaults, snippets)
    parsed = []
    for raw in rules:
        if not isinstance(raw, Mapping):
            raise RuleError(
                f"{name}:{line_of(data)}: each rule must be a mapping, not {type(raw).__name__}"
            )
        rule = parse_rule(raw, pack)
        parsed.append(rule if capture is None else dataclasses.replace(rule, capture=(capture,)))
    return parsed


def _section(name: str, data: Mapping[str, YAML], key: str, parse: Callable[[YAML], T]) -> T | None:
    """The pack section ``key`` parsed by ``parse`` (``None`` when absent), errors located."""
    if key not in data:
        return None
    raw = data[key]
    try:
        return parse(raw)
    except ParamError as exc:
        line = key_line(raw, exc.param, key_line(data, key))
        raise RuleError(f"{name}:{line}: {key}: {exc}") from None


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
