"""Leaf parameters come from one declarative spec per leaf: typed, checked, located."""

from __future__ import annotations

import dataclasses

import pytest

from analyzer.errors import RuleError
from analyzer.model import TargetKind
from analyzer.policy.leaves import LEAVES
from analyzer.policy.leaves.common import TargetIs
from analyzer.policy.leaves.kconfig import Kconfig
from analyzer.policy.leaves.kernel import Cmdline
from analyzer.policy.loader import parse_pack
from analyzer.policy.rule import LeafCheck, Not

PACK = """\
schema: 1
pack: t
defaults: {profiles: [t], subject: kernel, help: fix it, message: "{detail}"}
rules:
  - id: t.one
    title: One
    level: warning
    check:
      %s
"""


def _leaf(check: str) -> object:
    (rule,) = parse_pack(PACK % check, "t.yaml")
    tree = rule.check
    if isinstance(tree, Not):
        tree = tree.child
    assert isinstance(tree, LeafCheck)
    return tree.spec


def _error(check: str) -> str:
    with pytest.raises(RuleError) as caught:
        parse_pack(PACK % check, "t.yaml")
    return str(caught.value)


def test_every_leaf_declares_a_spec_and_no_parse_method() -> None:
    for leaf in LEAVES:
        assert not hasattr(leaf, "parse"), leaf.key
        for param in leaf.spec.params:
            assert param.field in {f.name for f in dataclasses.fields(leaf)}, leaf.key


def test_kconfig_builds_from_mapping_with_module_alternatives_as_a_list() -> None:
    leaf = _leaf(
        "kconfig: {symbol: CONFIG_IP_NF_TARGET_MASQUERADE, values: [y],"
        " module: [xt_MASQUERADE, ipt_MASQUERADE], module_check: false}"
    )
    assert leaf == Kconfig(
        "IP_NF_TARGET_MASQUERADE", ("y",), (), ("xt_MASQUERADE", "ipt_MASQUERADE"), False
    )


def test_bare_value_stands_for_the_scalar_parameter() -> None:
    assert _leaf("kconfig: CONFIG_MEMCG") == Kconfig("MEMCG")
    assert _leaf("target: container") == TargetIs((TargetKind.CONTAINER,))


def test_quoted_false_is_not_true() -> None:
    error = _error('kconfig: {symbol: CONFIG_X, module_check: "false"}')
    assert error == "t.yaml:9: rule 't.one': kconfig: 'module_check' is true or false, not 'false'"


def test_old_pipe_separated_module_names_are_rejected_with_the_new_form() -> None:
    error = _error("kconfig: {symbol: CONFIG_X, module: 'a|b'}")
    assert error == (
        "t.yaml:9: rule 't.one': kconfig: 'module' is one module name"
        " (alternatives as a list: [a, b]), not 'a|b'"
    )


def test_error_names_the_line_of_the_bad_parameter() -> None:
    check = "kconfig:\n        symbol: CONFIG_X\n        values: [y, maybe]"
    assert _error(check) == (
        "t.yaml:11: rule 't.one': kconfig: 'values': 'maybe' is not one of y, m, n"
    )


def test_unknown_and_missing_parameters_list_what_is_allowed() -> None:
    assert _error("cmdline: {param: x, absent: true, colour: red}") == (
        "t.yaml:9: rule 't.one': cmdline: unknown parameter 'colour'"
        " (param, forbid, absent, equals)"
    )
    assert _error("cmdline: {absent: true}") == (
        "t.yaml:9: rule 't.one': cmdline: missing parameter 'param'"
    )


def test_exactly_one_of_a_group() -> None:
    error = _error("cmdline: {param: x, absent: true, equals: '1'}")
    assert error.endswith("cmdline: give exactly one of 'forbid', 'absent', 'equals'")
    leaf = _leaf("cmdline: {param: apparmor, forbid: '0'}")
    assert leaf == Cmdline("apparmor", forbid=("0",))


def test_leaf_without_parameters_rejects_some() -> None:
    text = PACK.replace("subject: kernel", "subject: binary") % "elf_needed: {x: 1}"
    with pytest.raises(RuleError) as caught:
        parse_pack(text, "t.yaml")
    assert str(caught.value) == "t.yaml:9: rule 't.one': elf_needed: takes no parameters, not 'x'"
