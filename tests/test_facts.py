"""``present_value``: a fact's value only when it is present, ``None`` in every other state."""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.facts import Fact, present_value
from analyzer.model import Location

FACTS: dict[str, Fact[Any]] = {
    "hosts": Fact.present(("127.0.0.1",), Location("/etc/hosts")),
    "empty": Fact.present(()),
    "hostname": Fact.absent("/etc/hostname does not exist"),
    "kernels": Fact.unknown("kernels collector failed: boom"),
}


def test_present_fact_gives_its_value() -> None:
    assert present_value(FACTS, "hosts") == ("127.0.0.1",)


def test_present_but_empty_value_is_not_none() -> None:
    assert present_value(FACTS, "empty") == ()


@pytest.mark.parametrize("name", ["hostname", "kernels", "never_collected"])
def test_absent_unknown_or_missing_fact_gives_none(name: str) -> None:
    assert present_value(FACTS, name) is None
