"""Message templates and help snippets are checked when a pack loads, never at run time."""

from __future__ import annotations

import pytest

from analyzer.errors import RuleError
from analyzer.model import Location, Outcome
from analyzer.policy.engine import render
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind
from analyzer.policy.loader import parse_pack

PACK = """\
schema: 1
pack: t
help:
  kconfig: |
    Build the kernel with `{symbol}` set to `y`.
  plain: Install it.
defaults:
  profiles: [t]
  message: "{detail}"
rules:
  - id: t.one
    title: One
    level: warning
    help: {use: kconfig, symbol: CONFIG_NAMESPACES}
    check: {target: [vm]}
  - id: t.two
    title: Two
    level: note
    help: {use: plain}
    message: "{subject} is {{odd}}: {detail}"
    check: {target: [vm]}
"""


def _error(old: str, new: str) -> str:
    assert old in PACK
    with pytest.raises(RuleError) as caught:
        parse_pack(PACK.replace(old, new, 1), "t.yaml")
    return str(caught.value)


def test_snippets_fill_the_rules_help() -> None:
    one, two = parse_pack(PACK, "t.yaml")
    assert one.info.help_markdown == "Build the kernel with `CONFIG_NAMESPACES` set to `y`.\n"
    assert two.info.help_markdown == "Install it."


def test_message_is_filled_with_detail_and_subject_and_keeps_literal_braces() -> None:
    _, two = parse_pack(PACK, "t.yaml")
    result = LeafResult(Outcome.FAIL, "a vm")
    subject = Subject(SubjectKind.FILE, "/etc/x", Location("/etc/x"))
    assert render(two.message, result, subject) == "/etc/x is {odd}: a vm"


def test_a_typo_in_a_message_placeholder_is_a_load_error_naming_the_fields() -> None:
    error = _error('message: "{subject} is', 'message: "{subjetc} is')
    assert error == (
        "t.yaml:20: rule 't.two': 'message': unknown placeholder {subjetc}"
        " (available: {detail}, {subject})"
    )


def test_a_typo_in_the_defaults_message_is_blamed_on_the_defaults_line() -> None:
    error = _error('message: "{detail}"', 'message: "{detial}"')
    assert error.startswith("t.yaml:9: rule 't.one': 'message': unknown placeholder {detial}")


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{detail", "malformed template (expected '}' before end of string): '{detail'"),
        ("detail}", "malformed template (Single '}' encountered in format string): 'detail}'"),
        ("{detail.upper}", "placeholder {detail.upper} must be a plain name like {detail}"),
        ("{detail!r}", "placeholder {detail} must be a plain name like {detail}"),
        ("{0}", "placeholder {0} must be a plain name like {detail}"),
    ],
)
def test_a_malformed_message_is_a_load_error(template: str, problem: str) -> None:
    error = _error('message: "{detail}"', f'message: "{template}"')
    assert error == f"t.yaml:9: rule 't.one': 'message': {problem}"


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        ("{use: kconfig}", "help snippet 'kconfig' needs a value for {symbol}"),
        (
            "{use: kconfig, symbol: X, extra: Y}",
            "help snippet 'kconfig' has no placeholder {extra}",
        ),
        ("{use: kconfg, symbol: X}", "unknown help snippet 'kconfg' (kconfig, plain)"),
        ("{use: kconfig, symbol: [X]}", "the value of 'symbol' must be a string"),
        ("{symbol: X}", "is Markdown text or {use: SNIPPET, ...} naming a help snippet"),
    ],
)
def test_a_wrong_snippet_use_is_a_load_error(new: str, problem: str) -> None:
    error = _error("{use: kconfig, symbol: CONFIG_NAMESPACES}", new)
    assert error == f"t.yaml:14: rule 't.one': 'help': {problem}"


def test_a_malformed_snippet_is_a_load_error_at_its_line() -> None:
    error = _error("plain: Install it.", "plain: Install {it.")
    assert error == (
        "t.yaml:6: help: help snippet 'plain': malformed template"
        " (expected '}' before end of string): 'Install {it.'"
    )
