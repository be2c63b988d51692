"""The explicit registries agree with each other: every fact a rule needs is collected."""

from __future__ import annotations

from analyzer import facts
from analyzer.collectors import COLLECTORS
from analyzer.model import FactId, FactKey
from analyzer.pipeline import load_all_rules
from analyzer.policy.leaves import LEAVES
from analyzer.policy.rule import AllOf, AnyOf, Check, LeafCheck, Not, When


def _leaves(check: Check) -> list[LeafCheck]:
    if isinstance(check, LeafCheck):
        return [check]
    if isinstance(check, AllOf | AnyOf):
        return [leaf for child in check.children for leaf in _leaves(child)]
    if isinstance(check, Not):
        return _leaves(check.child)
    if isinstance(check, When):
        return _leaves(check.condition) + _leaves(check.then)
    raise AssertionError(f"unknown check node {check!r}")


def test_every_fact_a_leaf_needs_is_provided_by_a_collector() -> None:
    provided = {key for collector in COLLECTORS for key in collector.provides}
    missing = {(leaf.key, need) for leaf in LEAVES for need in leaf.needs if need not in provided}
    assert missing == set()


def test_no_fact_is_provided_twice() -> None:
    keys = [key for collector in COLLECTORS for key in collector.provides]
    assert len(keys) == len(set(keys))


def test_every_declared_fact_key_is_listed_once_with_a_unique_name() -> None:
    declared = [v for v in vars(facts).values() if isinstance(v, FactKey)]
    assert sorted(k.name for k in declared) == sorted(k.name for k in facts.KEYS)
    assert len({k.name for k in facts.KEYS}) == len(facts.KEYS)
    assert all(key.doc for key in facts.KEYS)


def test_every_fact_key_is_produced_by_exactly_one_collector() -> None:
    provided = [key for collector in COLLECTORS for key in collector.provides]
    assert sorted(k.name for k in provided) == sorted(k.name for k in facts.KEYS)


def test_source_provided_facts_come_from_the_collectors_of_the_source() -> None:
    target = {c.name for c in COLLECTORS if set(c.provides) <= set(facts.SOURCE_KEYS)}
    assert target == {"target", "disk", "image_config"}


def test_collectors_only_read_facts_of_collectors_before_them() -> None:
    seen: set[FactId] = set()
    for collector in COLLECTORS:
        assert set(collector.requires) <= seen, collector.name
        seen.update(collector.provides)


def test_leaf_keys_are_unique() -> None:
    keys = [leaf.key for leaf in LEAVES]
    assert len(keys) == len(set(keys))


def test_every_bundled_rule_uses_registered_leaves_only() -> None:
    registered = set(LEAVES)
    for rule in load_all_rules():
        for leaf in _leaves(rule.check):
            assert type(leaf.spec) in registered, rule.id
