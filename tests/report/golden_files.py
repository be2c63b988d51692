"""Golden-file comparison: ``UPDATE_GOLDEN=1 pytest tests/report`` rewrites the files."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_VARIABLE = "UPDATE_GOLDEN"


def check_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with ``golden/<name>``, or rewrite it when ``UPDATE_GOLDEN=1``."""
    path = GOLDEN_DIR / name
    if os.environ.get(UPDATE_VARIABLE) == "1":
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(f"{path} is missing; run with {UPDATE_VARIABLE}=1 to create it")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from the golden file; see the diff above"
