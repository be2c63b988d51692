"""The kernel tables shipped as data agree with the bundled packs and hold no duplicates."""

from __future__ import annotations

from importlib import resources

import pytest
from test_modules_shipped import kconfig_leaves

from analyzer.kernel.data import DataError, mapping, read_table, strings
from analyzer.kernel.history import CGROUP_V1_ONLY, HISTORY
from analyzer.kernel.symbols import BUILTIN_ONLY, MODULE_OF
from analyzer.policy.leaves.kconfig import ModuleLoadable
from analyzer.policy.loader import load_rules
from analyzer.policy.packs import bundled_packs
from analyzer.policy.rule import iter_leaves
from analyzer.yamlsrc import load

TABLES = ("kernel-modules.yaml", "kernel-history.yaml")


def _named_by_packs() -> set[str]:
    named: set[str] = set()
    for rule in load_rules(bundled_packs()):
        for leaf in kconfig_leaves(rule.check):
            named.update((leaf.symbol, *leaf.alternatives))
        named.update(
            leaf.symbol for leaf in iter_leaves(rule.check) if isinstance(leaf, ModuleLoadable)
        )
    return named


@pytest.mark.parametrize("name", TABLES)
def test_tables_have_no_duplicate_keys_or_entries(name: str) -> None:
    text = resources.files("analyzer").joinpath("data", name).read_text()
    table = mapping(load(text, name), name)  # the pack reader: a duplicate key is an error
    lists = [strings(table.get("builtin_only", []), "builtin_only")]
    modules = mapping(table.get("modules", {}), "modules")
    lists += [strings(names, f"modules.{symbol}") for symbol, names in modules.items()]
    history = mapping(table.get("history", {}), "history")
    lists += [
        strings(mapping(entry, symbol).get("replacement", []), f"{symbol}.replacement")
        for symbol, entry in history.items()
    ]
    for values in lists:
        assert len(values) == len(set(values)), values


def test_duplicate_key_in_a_table_would_be_caught() -> None:
    with pytest.raises(ValueError, match=r"t.yaml:3: duplicate key 'BRIDGE'"):
        load("modules:\n  BRIDGE: [bridge]\n  BRIDGE: [br]\n", "t.yaml")


def test_every_module_entry_is_named_by_a_pack_and_no_symbol_is_both() -> None:
    named = _named_by_packs()
    assert set(MODULE_OF) - named == set()
    assert BUILTIN_ONLY - named == set()
    assert set(MODULE_OF) & BUILTIN_ONLY == set()
    assert MODULE_OF["IP_NF_TARGET_MASQUERADE"] == ("xt_MASQUERADE", "ipt_MASQUERADE")


def test_every_history_replacement_is_named_by_a_pack_or_in_the_reason() -> None:
    named = _named_by_packs()
    assert set(HISTORY) | set(CGROUP_V1_ONLY) <= named
    for symbol, entry in HISTORY.items():
        assert (entry.since is None) != (entry.until is None), symbol
        for replacement in entry.replacement:
            documented = f"CONFIG_{replacement}" in entry.why or replacement in entry.why
            assert replacement in named or documented, (symbol, replacement)


def test_a_malformed_table_value_is_a_data_error() -> None:
    with pytest.raises(DataError, match=r"modules.X: a list of names, not 'a\|b'"):
        strings("a|b", "modules.X")
    modules = mapping(read_table("kernel-modules.yaml")["modules"], "modules")
    assert modules["EXT3_FS"] == ["ext4", "ext3"]
