"""Reading the small UTF-8 files a user hands the command (baselines, suppression files)."""

from __future__ import annotations

from pathlib import Path

from analyzer.errors import UsageError


def read_text(path: str, what: str) -> str:
    """The text of ``path``; ``UsageError('PATH: cannot read the WHAT: ...')`` otherwise."""
    try:
        return Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: the {what} is not UTF-8 text") from exc
