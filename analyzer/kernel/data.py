"""Reading the kernel knowledge shipped as data (``analyzer/data/*.yaml``) with the package.

The tables are package data, found with :mod:`importlib.resources` like the rule packs; a table
that cannot be read or has the wrong shape is a :class:`DataError` (an installation problem,
not an input problem).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources

from analyzer.errors import ImgauditError
from analyzer.model import YAML
from analyzer.yamlsrc import load

#: The package-data directory of the tables, inside the ``analyzer`` package.
DATA = "data"


class DataError(ImgauditError):
    """A shipped data table is missing or malformed."""


def read_table(name: str) -> dict[str, YAML]:
    """The YAML mapping ``analyzer/data/<name>``."""
    where = f"analyzer/{DATA}/{name}"
    try:
        text = resources.files("analyzer").joinpath(DATA, name).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{where}: {exc}") from exc
    try:
        table = load(text, where)
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    if not isinstance(table, dict):
        raise DataError(f"{where}: not a mapping")
    return table


def strings(value: object, where: str) -> tuple[str, ...]:
    """A list of non-empty strings as a tuple; :class:`DataError` naming ``where`` otherwise."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DataError(f"{where}: a list of names, not {value!r}")
    return tuple(value)


def mapping(value: object, where: str) -> Mapping[str, YAML]:
    """A mapping of a table; :class:`DataError` naming ``where`` otherwise."""
    if not isinstance(value, dict):
        raise DataError(f"{where}: a mapping, not {value!r}")
    return value
