r"""Words and variables in Dockerfile arguments: quoting, ``$VAR``, ``${VAR:-default}``.

The builder expands variables in ``FROM``, ``COPY``, ``ADD``, ``ENV``, ``ARG``, ``WORKDIR``,
``USER``, ``LABEL``, ``EXPOSE``, ``VOLUME`` and ``STOPSIGNAL`` (not in ``RUN``, whose shell
does it). Supported forms: ``$NAME``, ``${NAME}``, ``${NAME:-word}``, ``${NAME-word}``,
``${NAME:+word}``, ``${NAME+word}``; ``\$`` is a literal dollar. An unknown variable
expands to nothing, as in the builder.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR = re.compile(r":?[-+]")


@dataclass(frozen=True, slots=True)
class Scope:
    """Variables in effect: name -> value (``None`` for an ``ARG`` declared without one)."""

    values: Mapping[str, str | None] = field(default_factory=dict)

    def with_values(self, more: Mapping[str, str | None]) -> Scope:
        """A scope with ``more`` added (a value ``None`` keeps a known earlier value)."""
        merged = dict(self.values)
        for name, value in more.items():
            if value is not None or name not in merged:
                merged[name] = value
        return Scope(merged)


def expand(text: str, scope: Scope) -> str:
    """``text`` with its variables replaced from ``scope`` (defaults may hold variables)."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text.startswith("\\$", pos):
            out.append("$")
            pos += 2
        elif text[pos] == "$" and (name := _NAME.match(text, pos + 1)):
            out.append(scope.values.get(name.group(0)) or "")
            pos = name.end()
        elif text.startswith("${", pos) and (name := _NAME.match(text, pos + 2)):
            close = _closing(text, name.end())
            if close < 0:
                out.append(text[pos:])
                break
            out.append(_braced(name.group(0), text[name.end() : close], scope))
            pos = close + 1
        else:
            out.append(text[pos])
            pos += 1
    return "".join(out)


def _closing(text: str, pos: int) -> int:
    """Index of the ``}`` that closes a ``${`` whose body starts at ``pos`` (-1 if none)."""
    depth = 0
    while pos < len(text):
        if text.startswith("${", pos):
            depth += 1
            pos += 2
            continue
        if text[pos] == "}":
            if depth == 0:
                return pos
            depth -= 1
        pos += 1
    return -1


def _braced(name: str, rest: str, scope: Scope) -> str:
    """``${name<rest>}``: ``rest`` is empty or an operator and its word."""
    value = scope.values.get(name)
    operator = _OPERATOR.match(rest)
    if operator is None:
        return value or ""
    word = rest[operator.end() :]
    is_set = name in scope.values and value is not None
    if operator.group(0) in (":-", "-"):
        use_default = not value if operator.group(0) == ":-" else not is_set
        return expand(word, scope) if use_default else value or ""
    use_alternative = bool(value) if operator.group(0) == ":+" else is_set
    return expand(word, scope) if use_alternative else ""


def split_words(text: str) -> list[str]:
    """Shell-like words of ``text`` (quotes removed); an unbalanced quote splits on spaces."""
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def exec_form(text: str) -> list[str] | None:
    """The JSON array of an exec-form instruction (``["a", "b"]``), or ``None``."""
    stripped = text.strip()
    if not stripped.startswith("["):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def squeeze(text: str) -> str:
    """``text`` with every run of white space made one space, and trimmed."""
    return " ".join(text.split())
