"""Every path and name that ``docs/extending.md`` tells a contributor to touch exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "extending.md"
#: A repository path in backquotes, optionally followed by ``:NAME`` (a definition in it).
REFERENCE = re.compile(
    r"`((?:analyzer|tests|docs|rules|schema|examples|bench|fixtures)/[\w./-]*\w/?"
    r"|Makefile|README\.md|pyproject\.toml)(?::(\w+))?`"
)
#: Placeholder file names the guide uses for the file a contributor creates.
NEW = re.compile(r"(^|/)NAME(\.py)?$")


def references(text: str) -> list[tuple[str, str | None]]:
    """``(path, name or None)`` for every reference in ``text``, in order."""
    return [(m.group(1), m.group(2)) for m in REFERENCE.finditer(text)]


def defines(path: Path, name: str) -> bool:
    """Whether ``path`` defines ``name``: a class, a function, an assignment or a make variable."""
    pattern = rf"^\s*(?:class |def |async def )?{re.escape(name)}\b\s*(?:[:=(\[]|\?=|:=)"
    return re.search(pattern, path.read_text(), re.M) is not None


def test_the_guide_names_only_what_exists() -> None:
    found = references(GUIDE.read_text())
    assert len(found) > 40
    missing = [
        f"{path}:{name}" if name else path
        for path, name in found
        if not NEW.search(path)
        and not ((ROOT / path).exists() and (name is None or defines(ROOT / path, name)))
    ]
    assert missing == []


def test_a_moved_file_or_a_renamed_table_is_caught() -> None:
    text = "`analyzer/sources/disk/signatures.py:SIGNATURES` `analyzer/gone.py` `Makefile:DEBS`"
    assert references(text) == [
        ("analyzer/sources/disk/signatures.py", "SIGNATURES"),
        ("analyzer/gone.py", None),
        ("Makefile", "DEBS"),
    ]
    assert defines(ROOT / "analyzer/sources/disk/signatures.py", "SIGNATURES")
    assert not defines(ROOT / "analyzer/sources/disk/signatures.py", "SIGNATURE_TABLE")
    assert not (ROOT / "analyzer/gone.py").exists()
