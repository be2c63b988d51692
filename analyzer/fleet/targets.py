"""The target list of a fleet scan: command-line targets, target files and manifests, expanded.

``--targets-from FILE`` reads, recognised by content:

* a text list: one target a line; blank lines and ``#`` comments (a whole line, or after
  white space) are skipped; relative paths are taken from the current directory, as given;
* a Packer manifest (``packer-manifest.json`` from the ``manifest`` post-processor): see
  :func:`packer_targets`;
* an OCI image layout (its directory or its ``index.json``): one target per image it lists,
  see :func:`oci_targets`.

A target ``packer-manifest:FILE`` on the command line expands the same way. Every target is
scanned once: a repeated one keeps its first place and a note says so. An image that a list
names but that cannot be addressed becomes a failed target of its own, never a silent gap.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import UsageError
from analyzer.model import JSON, Level, Notification
from analyzer.userfiles import read_user_text

PACKER_SCHEME = "packer-manifest:"
STDIN = "-"
#: Largest target list or manifest read (bytes).
MAX_LIST_BYTES = 16 << 20
#: Packer artefacts that are metadata next to an image, not images (by file name suffix).
SIDECAR_SUFFIXES = (".ovf", ".mf", ".md5", ".sha1", ".sha256", ".sha512", ".checksum", ".log")
REF_NAME = "org.opencontainers.image.ref.name"
_COMMENT = re.compile(r"(^|\s)#.*$")


@dataclass(frozen=True, slots=True)
class Planned:
    """A target to scan, or (with ``error``) one that is reported as failed without a scan."""

    reference: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TargetList:
    """The expanded targets, each once, in order, and notes about what was left out."""

    planned: tuple[Planned, ...]
    notifications: tuple[Notification, ...] = ()


def expand(targets: Sequence[str], targets_from: Sequence[str] = ()) -> TargetList:
    """Expand command-line ``targets`` then each ``targets_from`` file; raise on a bad list."""
    planned: list[Planned] = []
    notes: list[Notification] = []
    for target in targets:
        if target.startswith(PACKER_SCHEME):
            planned += packer_targets(target[len(PACKER_SCHEME) :], notes)
        elif target == STDIN:
            planned.append(Planned(STDIN, "standard input can only be scanned on its own"))
        else:
            planned.append(Planned(target))
    for name in targets_from:
        planned += read_targets_file(name, notes)
    if not planned:
        raise UsageError("no targets to scan")
    return TargetList(tuple(_once(planned, notes)), tuple(notes))


def _once(planned: Iterable[Planned], notes: list[Notification]) -> list[Planned]:
    seen: dict[str, Planned] = {}
    for item in planned:
        if item.reference in seen:
            notes.append(
                Notification(
                    Level.NOTE,
                    "fleet.duplicate-target",
                    f"{item.reference}: listed more than once; scanned once",
                )
            )
            continue
        seen[item.reference] = item
    return list(seen.values())


def read_targets_file(name: str, notes: list[Notification]) -> list[Planned]:
    """The targets ``--targets-from name`` lists (text list, Packer manifest or OCI layout)."""
    path = Path(name)
    if path.is_dir():
        return oci_targets(path, notes)
    text = _read_text(path)
    if text.lstrip().startswith("{"):
        document = _json_object(text, name)
        if "builds" in document:
            return _packer(document, path, notes)
        if "manifests" in document:
            return oci_targets(path.parent, notes)
        raise UsageError(f"{name}: JSON that is neither a Packer manifest nor an OCI index")
    lines = (_COMMENT.sub("", line).strip() for line in text.splitlines())
    return [Planned(line) for line in lines if line]


def _read_text(path: Path) -> str:
    return read_user_text(path, MAX_LIST_BYTES, "target list")


def _json_object(text: str, name: str) -> dict[str, JSON]:
    try:
        document: JSON = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{name}: invalid JSON: line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(document, dict):
        raise UsageError(f"{name}: expected a JSON object")
    return document


def packer_targets(name: str, notes: list[Notification]) -> list[Planned]:
    """Every file artefact of the last build recorded in the Packer manifest ``name``."""
    path = Path(name)
    return _packer(_json_object(_read_text(path), name), path, notes)


def _packer(document: Mapping[str, JSON], path: Path, notes: list[Notification]) -> list[Planned]:
    """Files of the builds whose ``packer_run_uuid`` is ``last_run_uuid``.

    Relative file names are taken from the manifest's directory (Packer writes them relative
    to where it ran, which is where the manifest is unless ``output`` says otherwise).
    """
    builds = document.get("builds")
    if not isinstance(builds, list):
        raise UsageError(f"{path}: Packer manifest without a 'builds' list")
    last = document.get("last_run_uuid")
    chosen = [b for b in builds if isinstance(b, dict) and b.get("packer_run_uuid") == last]
    if not chosen:
        raise UsageError(f"{path}: no build of the last run ({last!r}) in the Packer manifest")
    planned: list[Planned] = []
    for build in chosen:
        label = f"{path}: build {build.get('name', '?')!r} ({build.get('builder_type', '?')})"
        files = build.get("files")
        listed = files if isinstance(files, list) else []
        names = [f.get("name") for f in listed if isinstance(f, dict)]
        if not names:
            notes.append(
                Notification(
                    Level.WARNING,
                    "fleet.packer-no-file",
                    f"{label} has no file artefact (artifact_id"
                    f" {build.get('artifact_id')!r}); nothing scanned for it",
                )
            )
        for file_name in names:
            if not isinstance(file_name, str) or not file_name:
                note = f"{label}: a file artefact without a name"
                notes.append(Notification(Level.WARNING, "fleet.packer-no-file", note))
                continue
            target = file_name if os.path.isabs(file_name) else str(path.parent / file_name)
            if target.lower().endswith(SIDECAR_SUFFIXES):
                notes.append(
                    Notification(
                        Level.NOTE,
                        "fleet.packer-sidecar",
                        f"{label}: {target} is metadata next to the image; not scanned",
                    )
                )
                continue
            planned.append(Planned(target))
    return planned


def oci_targets(layout: Path, notes: list[Notification]) -> list[Planned]:
    """One ``oci:LAYOUT:TAG`` target per tag in the layout's ``index.json``.

    An index with a single image gives ``oci:LAYOUT``. In an index of several, an image
    without a ``org.opencontainers.image.ref.name`` cannot be selected, so it becomes a failed
    target naming its digest. Attestation manifests are not images and are left out.
    """
    del notes
    index = layout / "index.json"
    document = _json_object(_read_text(index), str(index))
    manifests = document.get("manifests")
    if not isinstance(manifests, list):
        raise UsageError(f"{index}: OCI index without a 'manifests' list")
    images = [m for m in manifests if isinstance(m, dict) and not _attestation(m)]
    if len(images) <= 1:
        return [Planned(f"oci:{layout}")]
    planned: list[Planned] = []
    for descriptor in images:
        annotations = descriptor.get("annotations")
        tag = annotations.get(REF_NAME) if isinstance(annotations, dict) else None
        if isinstance(tag, str) and tag:
            planned.append(Planned(f"oci:{layout}:{tag}"))
        else:
            digest = descriptor.get("digest")
            planned.append(
                Planned(
                    f"oci:{layout}@{digest}",
                    f"{index}: image {digest} has no {REF_NAME} annotation, so it cannot be"
                    " selected among the others; tag it to scan it",
                )
            )
    return planned


def _attestation(descriptor: Mapping[str, JSON]) -> bool:
    annotations = descriptor.get("annotations")
    return isinstance(annotations, dict) and bool(annotations.get("vnd.docker.reference.type"))
