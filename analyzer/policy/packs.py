"""The bundled rule packs, read from the installed distribution.

The packs are the repository's top-level ``rules/*.yaml``; the distribution ships them as the
package data directory ``analyzer/packs`` (a link to ``rules/`` in the source tree, so an
editable install reads the same files). They are found with :mod:`importlib.resources`, never
by a path relative to the source checkout; ``IMGAUDIT_RULES_DIR`` points at another directory.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from analyzer.errors import RuleError

#: The distribution name (``pip install imgaudit``).
DISTRIBUTION = "imgaudit"
#: Environment variable naming a directory of packs to use instead of the bundled ones.
RULES_DIR_ENV = "IMGAUDIT_RULES_DIR"
#: The package-data directory, inside the ``analyzer`` package, that holds the packs.
PACKS = "packs"


def packs_dir() -> Path:
    """The directory of bundled packs: ``$IMGAUDIT_RULES_DIR`` or the installed package data."""
    override = os.environ.get(RULES_DIR_ENV)
    if override:
        return Path(override)
    return Path(str(resources.files("analyzer").joinpath(PACKS)))


def bundled_packs() -> list[tuple[Path, str]]:
    """The bundled packs by file name; none found is an error naming where they were looked for."""
    where = packs_dir()
    packs = sorted(where.glob("*.yaml"))
    if not packs:
        hint = f" (set by {RULES_DIR_ENV})" if os.environ.get(RULES_DIR_ENV) else ""
        raise RuleError(
            f"{where}{hint}: no rule packs (*.yaml) found; the installation is incomplete"
        )
    return [(path, f"rules/{path.name}") for path in packs]
