"""Files and directories a user names on the command line.

Target lists, build files, baselines and suppression files share one reading policy: at most
``limit`` bytes, UTF-8 (a byte-order mark is dropped), and every problem a one-line
:class:`~analyzer.errors.UsageError` naming the file and what it was given as.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.errors import UsageError


def read_user_text(path: str | Path, limit: int, what: str) -> str:
    """The text of ``path``; ``what`` names the kind of file in the too-large message."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise UsageError(f"{path}: the {what} is larger than {limit} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: the {what} is not UTF-8 text (byte {exc.start})") from exc


def source_root(path: str | None) -> str:
    """The directory build-file URIs are relative to (``.`` when not given), checked to be one."""
    root = path or "."
    if not Path(root).is_dir():
        raise UsageError(f"{root}: the source root is not a directory")
    return root
