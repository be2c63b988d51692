"""Facts: what collectors learned about the image, each present, absent or unknown.

A fact never pretends: "could not tell" is :attr:`FactState.UNKNOWN` with a reason, and rules
turn it into an unknown outcome, never into pass or fail.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from analyzer.model import Location

T = TypeVar("T")


class FactState(enum.Enum):
    """Whether a fact was found, found missing, or could not be determined."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """One fact with the location it came from (or the reason it is absent or unknown)."""

    state: FactState
    value: T | None = None
    location: Location | None = None
    reason: str = ""

    @classmethod
    def present(cls, value: T, location: Location | None = None) -> Fact[T]:
        """A fact that was found."""
        return cls(FactState.PRESENT, value, location)

    @classmethod
    def absent(cls, reason: str = "", location: Location | None = None) -> Fact[T]:
        """A fact known not to hold (the file is not there, the key is not set)."""
        return cls(FactState.ABSENT, None, location, reason)

    @classmethod
    def unknown(cls, reason: str, location: Location | None = None) -> Fact[T]:
        """A fact that could not be determined, and why."""
        return cls(FactState.UNKNOWN, None, location, reason)

    @property
    def is_present(self) -> bool:
        """True when the fact holds a value."""
        return self.state is FactState.PRESENT

    def get(self) -> T:
        """The value of a present fact."""
        if self.value is None:
            raise ValueError(f"fact is {self.state.value}: {self.reason}")
        return self.value


#: Facts by name, e.g. ``facts["name_resolution"]``.
Facts = Mapping[str, Fact[Any]]


def present_value(facts: Facts, name: str) -> Any:
    """The value of fact ``name`` if it is present, else ``None`` (absent, unknown or missing)."""
    fact = facts.get(name)
    return fact.value if fact is not None and fact.is_present else None
