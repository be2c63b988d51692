"""Typed facts: a key reads a present, absent, unknown or never-collected fact, typed by mypy."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

from analyzer.model import Fact, FactKey, FactState, FactStore, Location

HOSTS: FactKey[tuple[str, ...]] = FactKey("hosts")
EMPTY: FactKey[tuple[str, ...]] = FactKey("empty")
HOSTNAME: FactKey[str] = FactKey("hostname")
KERNELS: FactKey[tuple[str, ...]] = FactKey("kernels")
NEVER: FactKey[int] = FactKey("never_collected")


@pytest.fixture(name="facts")
def _facts() -> FactStore:
    facts = FactStore.one(HOSTS, Fact.present(("127.0.0.1",), Location("/etc/hosts")))
    facts.put(EMPTY, Fact.present(()))
    facts.put(HOSTNAME, Fact.absent("/etc/hostname does not exist"))
    facts.put(KERNELS, Fact.unknown("kernels collector failed: boom"))
    return facts


def test_present_fact_gives_its_typed_value(facts: FactStore) -> None:
    value: tuple[str, ...] | None = facts.value(HOSTS)
    fact: Fact[tuple[str, ...]] = facts.get(HOSTS)
    assert value == ("127.0.0.1",)
    assert (fact.state, fact.location) == (FactState.PRESENT, Location("/etc/hosts"))


def test_present_but_empty_value_is_not_none(facts: FactStore) -> None:
    assert facts.value(EMPTY) == ()


def test_absent_fact_keeps_its_reason(facts: FactStore) -> None:
    fact = facts.get(HOSTNAME)
    assert (fact.state, fact.reason) == (FactState.ABSENT, "/etc/hostname does not exist")
    assert facts.value(HOSTNAME) is None


def test_unknown_fact_keeps_its_reason(facts: FactStore) -> None:
    fact = facts.get(KERNELS)
    assert (fact.state, fact.reason) == (FactState.UNKNOWN, "kernels collector failed: boom")
    assert facts.value(KERNELS) is None


def test_a_key_nothing_wrote_reads_as_unknown(facts: FactStore) -> None:
    fact = facts.get(NEVER)
    assert (fact.state, fact.reason) == (FactState.UNKNOWN, "never_collected not determined")
    assert facts.value(NEVER) is None
    assert NEVER not in facts and HOSTS in facts


def test_facts_list_in_the_order_they_were_written(facts: FactStore) -> None:
    assert facts.names() == ("hosts", "empty", "hostname", "kernels")
    assert [name for name, _ in facts.items()] == list(facts.names())


def test_a_crashed_collector_leaves_its_keys_unknown(facts: FactStore) -> None:
    facts.fail((HOSTS, NEVER), "boom")
    assert facts.get(HOSTS).reason == facts.get(NEVER).reason == "boom"
    assert facts.value(HOSTS) is None


SNIPPET = """\
    from analyzer.model import Fact, FactKey, FactStore

    COUNT: FactKey[int] = FactKey("count")
    facts = FactStore.one(COUNT, Fact.present(3))
    right: int | None = facts.value(COUNT)
    wrong: str | None = facts.value(COUNT)
    FactStore.one(COUNT, Fact.present("three"))
"""


def test_mypy_rejects_a_key_read_or_written_with_the_wrong_type(tmp_path: Path) -> None:
    source = tmp_path / "snippet.py"
    source.write_text(textwrap.dedent(SNIPPET))
    root = Path(__file__).resolve().parents[1]
    config = ["--config-file", str(root / "pyproject.toml")]
    cache = ["--cache-dir", str(root / ".mypy_cache")]
    out, _, status = mypy_api.run(
        ["--strict", "--follow-imports=silent", *config, *cache, str(source)]
    )
    lines = [line.split(":")[1] for line in out.splitlines() if ": error: " in line]
    assert status == 1, out
    assert lines == ["6", "7"], out
