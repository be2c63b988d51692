"""Suppression files (``.imgaudit.yaml``): accepted findings, each with its reason.

The file holds one key, ``suppressions``, a list of entries::

    suppressions:
      - rule: golden-image.machine-id     # rule id (a glob: golden-image.*)
        path: /etc/machine-id             # in-image path glob, '*' crosses '/'; default '*'
        reason: emptied by the build's last step   # required
        expires: 2027-06-30               # optional: suppresses up to and including this day

A finding an entry matches stays in every report, marked suppressed with the reason, and does
not count for ``--fail-on``. An expired entry suppresses nothing and becomes a warning; an
entry that matched no finding becomes a note. Mistakes in the file are ``file:line`` errors.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from fnmatch import fnmatchcase

from analyzer.errors import UsageError
from analyzer.model import (
    YAML,
    Evaluation,
    Level,
    Location,
    Notification,
    RunResult,
    Suppression,
)
from analyzer.report.common import normalise_path
from analyzer.userfiles import read_user_text
from analyzer.yamlsrc import line_of, load

#: Looked up in the current directory when no ``--config`` is given.
DEFAULT_FILE = ".imgaudit.yaml"
TOP_KEY = "suppressions"
#: Largest suppression file read.
MAX_SUPPRESSION_BYTES = 1 << 20
KEYS = ("rule", "path", "reason", "expires")
REQUIRED = ("rule", "reason")
EXPIRED_CODE = "suppression.expired"
UNUSED_CODE = "suppression.unused"


def load_suppressions(path: str) -> tuple[Suppression, ...]:
    """Read and validate a suppression file; raises ``UsageError('file:line: problem')``."""
    text = read_user_text(path, MAX_SUPPRESSION_BYTES, "suppression file")
    try:
        doc = load(text, path)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if doc is None:
        return ()
    if not isinstance(doc, dict):
        raise UsageError(f"{path}:1: expected a mapping with the key {TOP_KEY!r}")
    unknown = sorted(set(doc) - {TOP_KEY})
    if unknown:
        raise UsageError(f"{path}:{line_of(doc, 1)}: unknown key {unknown[0]!r} (known: {TOP_KEY})")
    entries = doc.get(TOP_KEY) or []
    if not isinstance(entries, list):
        raise UsageError(f"{path}:{line_of(doc, 1)}: {TOP_KEY!r} must be a list of entries")
    return tuple(_entry(item, path, line_of(doc, 1)) for item in entries)


def _entry(item: YAML, path: str, parent_line: int) -> Suppression:
    line = line_of(item, parent_line)
    where = f"{path}:{line}"
    if not isinstance(item, dict):
        raise UsageError(f"{where}: a suppression must be a mapping ({', '.join(KEYS)})")
    unknown = sorted(set(item) - set(KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    for key in REQUIRED:
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise UsageError(f"{where}: {key!r} is required and must be a non-empty string")
    glob = item.get("path", "*")
    if not isinstance(glob, str) or not glob.strip():
        raise UsageError(f"{where}: 'path' must be a non-empty string (a glob)")
    return Suppression(
        rule=item["rule"].strip(),
        path=glob.strip(),
        reason=item["reason"].strip(),
        source=Location(path, line),
        expires=_expiry(item.get("expires"), where),
    )


def _expiry(value: YAML, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise UsageError(f"{where}: 'expires' must be a date (YYYY-MM-DD), not {value!r}")


def matches(entry: Suppression, finding: Evaluation) -> bool:
    """True when ``entry`` names the finding's rule and its in-image path."""
    path = normalise_path(finding.location.path)
    return fnmatchcase(finding.rule_id, entry.rule) and fnmatchcase(path, entry.path)


def expired(entry: Suppression, today: datetime.date) -> bool:
    """True when the entry's last day is before ``today``."""
    return entry.expires is not None and datetime.date.fromisoformat(entry.expires) < today


def suppress(result: RunResult, entries: Sequence[Suppression], today: datetime.date) -> RunResult:
    """``result`` with the first live entry matching each finding attached to it.

    ``today`` decides expiry (the caller reads the clock). Expired entries and entries that
    match no finding are added to the notifications.
    """
    live = [entry for entry in entries if not expired(entry, today)]
    used: set[int] = set()
    evaluations = []
    for evaluation in result.evaluations:
        match = None
        if evaluation.is_finding:
            match = next((n for n, e in enumerate(live) if matches(e, evaluation)), None)
        if match is None:
            evaluations.append(evaluation)
        else:
            used.add(match)
            evaluations.append(dataclasses.replace(evaluation, suppression=live[match]))
    notes = [_expired_note(entry) for entry in entries if expired(entry, today)]
    notes += [_unused_note(entry) for n, entry in enumerate(live) if n not in used]
    return dataclasses.replace(
        result,
        evaluations=tuple(evaluations),
        notifications=(*result.notifications, *notes),
    )


def describe(entry: Suppression) -> str:
    """``rule golden-image.* at /etc/* (.imgaudit.yaml:3)``."""
    return f"rule {entry.rule} at {entry.path} ({entry.source.describe()})"


def _expired_note(entry: Suppression) -> Notification:
    return Notification(
        Level.WARNING,
        EXPIRED_CODE,
        f"suppression of {describe(entry)} expired after {entry.expires}: "
        "the findings it matches are reported",
    )


def _unused_note(entry: Suppression) -> Notification:
    return Notification(
        Level.NOTE, UNUSED_CODE, f"suppression of {describe(entry)} matches no finding"
    )
