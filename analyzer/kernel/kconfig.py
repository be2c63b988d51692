"""Kernel configuration (``.config``) parsing, keeping the line of every symbol.

Forms: ``CONFIG_X=y`` (built in), ``=m`` (module), ``=n`` (explicitly off), ``# CONFIG_X is
not set`` (the usual "off" form), ``CONFIG_X="text"`` and ``CONFIG_X=123`` (values). A symbol
that appears twice keeps its last assignment, as kconfig itself does, and the duplicate is
recorded. Names are stored without the ``CONFIG_`` prefix; lookups accept either form.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PREFIX = "CONFIG_"
_ASSIGN = re.compile(r"\s*CONFIG_([A-Za-z0-9_]+)=(.*)")
_NOT_SET = re.compile(r"\s*#\s*CONFIG_([A-Za-z0-9_]+) is not set\s*\Z")
_HEADER = re.compile(r"#\s*Linux/(\S+)\s+(\S+)\s+Kernel Configuration")


class State(enum.Enum):
    """What a configuration line says about a symbol."""

    BUILTIN = "y"
    MODULE = "m"
    NO = "n"
    NOT_SET = "not set"
    VALUE = "value"


@dataclass(frozen=True, slots=True)
class Symbol:
    """One symbol's assignment: state, value text (unquoted for strings) and 1-based line."""

    name: str
    state: State
    value: str
    line: int

    @property
    def enabled(self) -> bool:
        """True for ``y`` and ``m``."""
        return self.state in (State.BUILTIN, State.MODULE)

    def describe(self) -> str:
        """``CONFIG_X=m`` or ``# CONFIG_X is not set`` as it was written."""
        if self.state is State.NOT_SET:
            return f"# {PREFIX}{self.name} is not set"
        if self.state is State.VALUE:
            return f"{PREFIX}{self.name}={self.value}"
        return f"{PREFIX}{self.name}={self.state.value}"


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A symbol assigned more than once: every line, the last one wins."""

    name: str
    lines: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class KConfig:
    """A parsed configuration: symbols by name, duplicates, and the header's arch and version."""

    symbols: Mapping[str, Symbol]
    duplicates: tuple[Duplicate, ...] = ()
    arch: str | None = None
    version: str | None = None

    def get(self, name: str) -> Symbol | None:
        """The symbol ``name`` (with or without ``CONFIG_``), or ``None`` when absent."""
        return self.symbols.get(strip_prefix(name))

    def state(self, name: str) -> State | None:
        """The symbol's state, ``None`` when absent."""
        symbol = self.get(name)
        return symbol.state if symbol else None

    def enabled(self, name: str) -> bool:
        """True when the symbol is ``y`` or ``m``."""
        symbol = self.get(name)
        return symbol is not None and symbol.enabled

    def builtin(self, name: str) -> bool:
        """True when the symbol is ``y``."""
        return self.state(name) is State.BUILTIN

    def __len__(self) -> int:
        return len(self.symbols)


def strip_prefix(name: str) -> str:
    """``CONFIG_NET`` and ``NET`` both give ``NET``."""
    return name[len(PREFIX) :] if name.startswith(PREFIX) else name


def _value(raw: str) -> tuple[State, str]:
    text = raw.strip()
    if text in ("y", "m", "n"):
        return State(text), text
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return State.VALUE, re.sub(r"\\(.)", r"\1", text[1:-1])
    return State.VALUE, text


def parse(lines: Iterable[str]) -> KConfig:
    """Parse configuration lines (see the module docstring)."""
    symbols: dict[str, Symbol] = {}
    seen: dict[str, list[int]] = {}
    arch = version = None
    for number, line in enumerate(lines, start=1):
        assigned = _ASSIGN.match(line)
        if assigned:
            name = assigned.group(1)
            state, value = _value(assigned.group(2))
        else:
            not_set = _NOT_SET.match(line)
            if not not_set:
                header = _HEADER.search(line) if number <= 5 else None
                if header:
                    arch, version = header.group(1), header.group(2)
                continue
            name, state, value = not_set.group(1), State.NOT_SET, ""
        symbols[name] = Symbol(name, state, value, number)
        seen.setdefault(name, []).append(number)
    duplicates = tuple(
        Duplicate(name, tuple(lines_)) for name, lines_ in seen.items() if len(lines_) > 1
    )
    return KConfig(symbols, duplicates, arch, version)


def parse_text(text: str) -> KConfig:
    """Parse configuration text."""
    return parse(text.splitlines())
