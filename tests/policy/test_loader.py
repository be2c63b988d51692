"""Rule-pack loading: valid packs become frozen rules; every bad pack names file and line."""

from __future__ import annotations

import pytest

from analyzer.errors import RuleError
from analyzer.model import Level, TargetKind
from analyzer.pipeline import load_all_rules
from analyzer.policy.loader import parse_pack
from analyzer.policy.rule import AllOf, AnyOf, LeafCheck, Not, When

GOOD = """\
schema: 1
pack: demo
defaults:
  profiles: [demo]
rules:
  - id: demo.one
    title: One
    level: warning
    help: fix it
    message: "broken: {detail}"
    targets: [rootfs, vm]
    not_applicable: {container: "the host decides"}
    check:
      all_of:
        - localhost_resolves: {}
        - any_of:
            - target: [vm]
            - not: {target: [container]}
        - when: {if: {target: [rootfs]}, then: {localhost_resolves: {}}}
"""


def _error(text: str) -> str:
    with pytest.raises(RuleError) as caught:
        parse_pack(text, "pack.yaml")
    return str(caught.value)


def test_valid_pack_builds_frozen_rule_with_defaults_and_check_tree() -> None:
    (rule,) = parse_pack(GOOD, "pack.yaml")
    assert rule.id == "demo.one"
    assert rule.level is Level.WARNING
    assert rule.info.profiles == ("demo",)
    assert rule.info.roles == ("controller", "worker")
    assert rule.targets == (TargetKind.ROOTFS, TargetKind.VM)
    assert rule.not_applicable_reason == {"container": "the host decides"}
    assert rule.source == "pack.yaml:6"
    assert isinstance(rule.check, AllOf)
    first, second, third = rule.check.children
    assert isinstance(first, LeafCheck)
    assert isinstance(second, AnyOf)
    assert isinstance(second.children[1], Not)
    assert isinstance(third, When)


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        (
            "level: warning",
            "pack.yaml:8: rule 'demo.one': unknown level 'fatal' (error, warning, note)",
        ),
        ("help: fix it", "pack.yaml:6: rule 'demo.one': missing required key 'help'"),
        (
            "targets: [rootfs, vm]",
            "pack.yaml:11: rule 'demo.one': unknown target 'mainframe' (rootfs, container, vm)",
        ),
        ("- localhost_resolves: {}", "pack.yaml:15: rule 'demo.one': unknown check 'frobnicate'"),
        (
            "- target: [vm]",
            "pack.yaml:17: rule 'demo.one': target: 'cloud' is not one of rootfs, container, vm",
        ),
    ],
)
def test_bad_rule_is_rejected_with_file_line_and_reason(replace: str, expected: str) -> None:
    substitutes = {
        "level: warning": "level: fatal",
        "help: fix it": "",
        "targets: [rootfs, vm]": "targets: [rootfs, mainframe]",
        "- localhost_resolves: {}": "- frobnicate: {}",
        "- target: [vm]": "- target: [cloud]",
    }
    text = GOOD.replace(replace, substitutes[replace], 1)
    assert _error(text) == expected


def test_unknown_rule_key_is_rejected_at_its_line() -> None:
    text = GOOD.replace("    title: One\n", "    title: One\n    colour: red\n")
    assert _error(text) == "pack.yaml:8: rule 'demo.one': unknown key 'colour'"


def test_yaml_syntax_error_names_the_line() -> None:
    text = GOOD.replace("title: One", "title: [One")
    assert _error(text).startswith("pack.yaml:")


def test_duplicate_key_is_rejected() -> None:
    text = GOOD.replace("    title: One\n", "    title: One\n    title: Two\n")
    assert _error(text) == "pack.yaml:8: duplicate key 'title'"


def test_security_severity_must_be_a_string_score() -> None:
    text = GOOD.replace("    title: One\n", "    title: One\n    security-severity: 11\n")
    assert "'security-severity' must be a string" in _error(text)


@pytest.mark.parametrize("reasons", ['{mainframe: "no"}', "{container: [no]}", '"no"'])
def test_not_applicable_maps_target_kinds_to_text_reasons(reasons: str) -> None:
    text = GOOD.replace('{container: "the host decides"}', reasons)
    expected = "pack.yaml:12: rule 'demo.one': 'not_applicable' maps target kinds to reasons"
    assert _error(text) == expected


def test_pack_without_schema_is_rejected() -> None:
    assert _error(GOOD.replace("schema: 1\n", "")) == "pack.yaml:1: 'schema: 1' is required"


def test_leaf_on_a_subject_it_cannot_judge_is_rejected() -> None:
    text = GOOD.replace("    level: warning\n", "    level: warning\n    subject: nowhere\n")
    assert "unknown subject 'nowhere'" in _error(text)


def test_bundled_packs_load_with_unique_ids() -> None:
    rules = load_all_rules()
    ids = [rule.id for rule in rules]
    assert len(ids) == len(set(ids))
    assert "k0s.name-resolution.localhost" in ids
