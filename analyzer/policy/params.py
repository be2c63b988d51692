"""Declarative leaf parameters: one spec per leaf, from which the loader validates and builds it.

A leaf declares ``spec: ClassVar[ParamSpec]``: its parameters, each with a name, a
:class:`~analyzer.policy.paramtypes.ParamType`, whether it is required, its allowed values and
whether it is a list. The loader calls :meth:`ParamSpec.values`, which checks a pack's YAML
value against the spec, and constructs the leaf with one keyword argument per given parameter
(absent optional parameters keep the dataclass field's default). The same spec generates the
leaf's part of the pack JSON Schema (:mod:`analyzer.policy.schema`). Rules between parameters
are part of the spec (``one_of``, ``any_of``); a leaf validates nothing itself::

    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("param", STRING, required=True),
        Param("forbid", STRING, many=True),
        Param("absent", BOOL),
        one_of=(("forbid", "absent"),),
    )
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from analyzer.errors import ImgauditError
from analyzer.model import YAML
from analyzer.policy.paramtypes import ParamType, T_co

T = TypeVar("T")


class ParamError(ImgauditError, ValueError):
    """A parameter value a spec rejects; ``param`` names the parameter (empty: the whole value)."""

    def __init__(self, message: str, param: str = "") -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class Param(Generic[T_co]):
    """One parameter of a leaf.

    ``many`` makes it a non-empty list (a single value counts as a list of one); ``choices``
    restricts the YAML values (checked before conversion); ``attr`` is the leaf field it fills
    when that is not ``name``.
    """

    name: str
    type: ParamType[T_co]
    required: bool = False
    choices: tuple[str, ...] = ()
    many: bool = False
    attr: str = ""
    doc: str = ""

    @property
    def field(self) -> str:
        """The leaf's dataclass field this parameter fills."""
        return self.attr or self.name

    def convert(self, value: YAML, named: bool = True) -> object:
        """The Python value for a YAML value; :class:`ParamError` naming this parameter.

        ``named=False`` leaves the name out of messages (the value was given bare, as in
        ``target: [cloud]``).
        """
        if self.many:
            return self.convert_many(value, named)
        if isinstance(value, list):
            label = _label(self.name, named)
            raise ParamError(f"{label}is {self._what()}, not a list", self.name)
        return self._one(value, _label(self.name, named))

    def convert_many(self, value: YAML, named: bool = True) -> tuple[T_co, ...]:
        """The values of a list parameter (a single value counts as a list of one)."""
        label = _label(self.name, named)
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ParamError(f"{label}is a non-empty list, each {self._what()}", self.name)
        return tuple(self._one(item, label) for item in items)

    def _what(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return self.type.noun

    def _one(self, value: YAML, label: str) -> T_co:
        if self.choices and (not isinstance(value, str) or value not in self.choices):
            prefix = f"'{self.name}': " if label.startswith("'") else ""
            raise ParamError(
                f"{prefix}{value!r} is not one of {', '.join(self.choices)}", self.name
            )
        try:
            return self.type.convert(value)
        except ValueError as exc:
            raise ParamError(f"{label}{exc}", self.name) from None


@dataclass(frozen=True, slots=True, init=False)
class ParamSpec:
    """A leaf's parameters and the rules between them.

    ``scalar`` names the parameter that a bare value stands for (``kconfig: CONFIG_X`` is
    ``kconfig: {symbol: CONFIG_X}``); ``one_of`` lists groups of which exactly one parameter is
    given; ``any_of`` lists parameters of which at least one is given.
    """

    params: tuple[Param[object], ...]
    scalar: str
    one_of: tuple[tuple[str, ...], ...]
    any_of: tuple[str, ...]

    def __init__(
        self,
        *params: Param[object],
        scalar: str = "",
        one_of: tuple[tuple[str, ...], ...] = (),
        any_of: tuple[str, ...] = (),
    ) -> None:
        names = {p.name for p in params}
        wanted = {scalar} - {""} | {n for group in one_of for n in group} | set(any_of)
        if wanted - names:
            raise ValueError(f"spec names unknown parameters {sorted(wanted - names)}")
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "scalar", scalar)
        object.__setattr__(self, "one_of", one_of)
        object.__setattr__(self, "any_of", any_of)

    def get(self, name: str) -> Param[object] | None:
        """The parameter called ``name``."""
        return next((p for p in self.params if p.name == name), None)

    def values(self, raw: YAML) -> dict[str, object]:
        """Validate a YAML value and return the leaf's keyword arguments."""
        bare = raw is not None and not isinstance(raw, Mapping)
        given = self._mapping(raw)
        allowed = ", ".join(p.name for p in self.params)
        for key in given:
            if not self.params:
                raise ParamError(f"takes no parameters, not {key!r}", key)
            if self.get(key) is None:
                raise ParamError(f"unknown parameter {key!r} ({allowed})", key)
        for param in self.params:
            if param.required and param.name not in given:
                raise ParamError(f"missing parameter {param.name!r}")
        for group in self.one_of:
            present = [name for name in group if name in given]
            if len(present) != 1:
                raise ParamError(f"give exactly one of {_quoted(group)}", _second(present))
        if self.any_of and not set(self.any_of) & set(given):
            raise ParamError(f"give at least one of {_quoted(self.any_of)}")
        return {
            p.field: p.convert(given[p.name], named=not bare)
            for p in self.params
            if p.name in given
        }

    def build(self, make: Callable[..., T], raw: YAML) -> T:
        """``make`` called with the keyword arguments :meth:`values` gives for ``raw``."""
        return make(**self.values(raw))

    def _mapping(self, raw: YAML) -> Mapping[str, YAML]:
        if raw is None:
            return {}
        if isinstance(raw, Mapping):
            return raw
        if self.scalar:
            return {self.scalar: raw}
        if not self.params:
            raise ParamError("takes no parameters")
        names = ", ".join(p.name for p in self.params)
        raise ParamError(f"takes a mapping of parameters ({names})")


def _label(name: str, named: bool) -> str:
    """How a message names the value: ``'name' `` or, for a bare value, ``the value ``."""
    return f"'{name}' " if named else "the value "


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _second(present: list[str]) -> str:
    return present[1] if len(present) > 1 else ""


#: The spec of a leaf without parameters (``elf_needed: {}``).
NO_PARAMS = ParamSpec()
