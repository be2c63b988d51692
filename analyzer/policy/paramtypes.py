"""The value types of leaf parameters: how a YAML value is checked and converted, and its schema.

A :class:`ParamType` turns one YAML value into the Python value a leaf holds, raising
``ValueError`` with the rest of a sentence that starts with the parameter's name (``'absent'
is true or false, not 'false'``). Its ``schema`` is the JSON Schema of the YAML value, used for
the pack schema editors validate against. YAML values are taken as YAML typed them: a quoted
``"false"`` is a string, never a boolean.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from analyzer.kernel.kconfig import strip_prefix
from analyzer.model import JSON, YAML

T_co = TypeVar("T_co", covariant=True)
E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class ParamType(Generic[T_co]):
    """A parameter value type: what it is called in messages, its JSON Schema, its converter."""

    noun: str
    schema: Mapping[str, JSON]
    convert: Callable[[YAML], T_co]


def _text(value: YAML) -> str:
    """A non-empty string; a YAML integer is taken as its digits (``equals: 1``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"is a non-empty string, not {value!r}")
    return value


def _bool(value: YAML) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"is true or false, not {value!r}")
    return value


def _int(value: YAML) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"is a whole number (0 or more), not {value!r}")
    return value


def _regex(value: YAML) -> re.Pattern[str]:
    text = _text(value)
    try:
        return re.compile(text)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression ({exc}): {text!r}") from None


def _version(value: YAML) -> tuple[int, ...]:
    if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+){0,2}", value):
        raise ValueError(f'is a quoted version like "3.10", not {value!r}')
    return tuple(int(part) for part in value.split("."))


_SYMBOL = re.compile(r"[A-Za-z0-9_]+")


def _symbol(value: YAML) -> str:
    text = _text(value)
    symbol = strip_prefix(text)
    if not _SYMBOL.fullmatch(symbol):
        raise ValueError(f"is a kconfig symbol like CONFIG_NAMESPACES, not {text!r}")
    return symbol


def _file_name(value: YAML) -> str:
    text = _text(value)
    if "/" in text:
        raise ValueError(f"is a file name without '/', not {text!r}")
    return text


def _module(value: YAML) -> str:
    text = _text(value)
    if "|" in text or "/" in text or text.endswith(".ko"):
        raise ValueError(f"is one module name (alternatives as a list: [a, b]), not {text!r}")
    return text


def _absolute(value: YAML) -> str:
    text = _text(value)
    if not text.startswith("/"):
        raise ValueError(f"is an absolute in-image path, not {text!r}")
    return text


def _directory(value: YAML) -> str:
    return _absolute(value).rstrip("/") or "/"


_OCTAL = re.compile(r"0?[0-7]{3,4}\Z")


def _octal(value: YAML) -> int:
    """A mode written as a quoted octal string (``"0640"``)."""
    if not isinstance(value, str) or not _OCTAL.match(value):
        raise ValueError(f'is a quoted octal mode like "0640", not {value!r}')
    return int(value, 8)


def _lower(value: YAML) -> str:
    return _text(value).lower()


_STRING_SCHEMA: Mapping[str, JSON] = {"type": "string", "minLength": 1}

STRING = ParamType("a non-empty string", {"type": ["string", "integer"]}, _text)
BOOL = ParamType("true or false", {"type": "boolean"}, _bool)
INT = ParamType("a whole number", {"type": "integer", "minimum": 0}, _int)
REGEX = ParamType("a regular expression", _STRING_SCHEMA, _regex)
VERSION = ParamType(
    'a version like "3.10"', {"type": "string", "pattern": r"^\d+(\.\d+){0,2}$"}, _version
)
SYMBOL = ParamType("a kconfig symbol", {"type": "string", "pattern": "^[A-Za-z0-9_]+$"}, _symbol)
FILE_NAME = ParamType("a file name", {"type": "string", "pattern": "^[^/]+$"}, _file_name)
MODULE = ParamType("a module name", {"type": "string", "pattern": r"^[^/|]+$"}, _module)
#: An absolute in-image path or glob (``*``, ``?``, ``[...]``, ``**``).
ABSOLUTE = ParamType("an absolute in-image path", {"type": "string", "pattern": "^/"}, _absolute)
DIRECTORY = ParamType("an absolute directory", {"type": "string", "pattern": "^/"}, _directory)
#: A file mode as a quoted octal string (``"0640"``).
OCTAL_MODE = ParamType(
    'a quoted octal mode like "0640"', {"type": "string", "pattern": "^0?[0-7]{3,4}$"}, _octal
)
#: A name compared without case (host names, globs over host names).
LOWERCASE = ParamType("a name", _STRING_SCHEMA, _lower)


def member_of(kind: type[E], noun: str) -> ParamType[E]:
    """A value of one of ``kind``'s members, as that member (the parameter's ``choices``)."""

    def convert(value: YAML) -> E:
        return kind(value)

    return ParamType(noun, STRING.schema, convert)
