"""The package that provides a command on a distribution, from a table shipped as data.

``providers.toml`` maps a command to its package per distribution family. The family is the
os-release ``ID`` when the table knows it, else the first ``ID_LIKE`` word it knows (Rocky
Linux says ``ID_LIKE="rhel centos fedora"``). :func:`hint` turns that into the words a finding
adds: which package to install, or that the package is installed but its file is missing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from analyzer.packages.installed import InstalledPackages

TABLE = "providers.toml"


@cache
def table() -> Mapping[str, Mapping[str, str]]:
    """Command -> family -> package, as shipped."""
    text = resources.files("analyzer.packages").joinpath(TABLE).read_text(encoding="utf-8")
    return tomllib.loads(text)


def family(fields: Mapping[str, str], command: str) -> str | None:
    """The first of ``ID`` and ``ID_LIKE`` that the table knows for ``command``."""
    known = table().get(command, {})
    for word in [fields.get("ID", ""), *fields.get("ID_LIKE", "").split()]:
        if word in known:
            return word
    return None


@dataclass(frozen=True, slots=True)
class Provider:
    """The package that provides ``command`` on ``family``, and what the database says of it.

    ``installed`` is True/False from the package database, ``None`` when it cannot tell;
    ``listed`` is the path the installed package lists for the command, if it lists one.
    """

    command: str
    family: str
    package: str
    installed: bool | None
    listed: str | None = None

    def describe(self) -> str:
        """The words a finding about a missing ``command`` ends with."""
        if self.installed:
            what = f"its file {self.listed}" if self.listed else f"the {self.command} program"
            return f"{self.package} is installed but {what} is missing"
        return f"on {self.family} the {self.package} package provides {self.command}"


def provider(
    command: str, fields: Mapping[str, str], packages: InstalledPackages | None
) -> Provider | None:
    """The provider of ``command`` on the distribution ``fields`` (os-release) describes."""
    found = family(fields, command)
    if found is None:
        return None
    name = table()[command][found]
    installed = packages.installed(name) if packages is not None else None
    listed = None
    if installed and packages is not None:
        programs = packages.packages[name].programs or ()
        listed = next((p for p in programs if p.rsplit("/", 1)[-1] == command), None)
    return Provider(command, found, name, installed, listed)
