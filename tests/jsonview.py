"""Reading JSON values in tests: an object or an array, or the test fails there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from analyzer.model import JSON


def obj(value: JSON) -> Mapping[str, JSON]:
    """``value`` as a JSON object."""
    assert isinstance(value, Mapping), value
    return value


def arr(value: JSON) -> list[Mapping[str, JSON]]:
    """``value`` as a JSON array of objects."""
    assert isinstance(value, Sequence) and not isinstance(value, str), value
    return [obj(item) for item in value]
