"""SARIF locations, fingerprints and the analysis category for in-image paths.

In-image paths are not repository files, so every artifact URI is relative, under a fixed
pseudo-root: ``<prefix>/<path without leading slash>``, percent-encoded, with ``uriBaseId``
:data:`URI_BASE_ID`. Everything RFC 3986 reserves is encoded, the colon included, so no
segment can be read as a URI scheme (GitHub rejects the whole upload when that happens).
The image reference never appears in a URI or a fingerprint.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import quote

from analyzer.model import BuildStep, Evaluation, JSONObject, Location, TargetInfo
from analyzer.report.common import clean_text, normalise_path

#: The ``uriBaseId`` of every in-image artifact location.
URI_BASE_ID = "IMAGEROOT"
#: Default first segment of artifact URIs (``image/etc/hosts``).
DEFAULT_URI_PREFIX = "image"
#: Region columns for a whole-line region whose line length is unknown.
START_COLUMN = 1
END_COLUMN = 2
#: Key of the full-identity hash in ``result.fingerprints``.
FINGERPRINT_KEY = "imgaudit/v1"
#: Key of the hash of a finding's level and message (what ``--baseline`` calls updated).
CONTENT_KEY = "imgaudit/content/v1"
#: Source reference schemes stripped before naming the analysis category.
REFERENCE_SCHEMES = ("docker-archive", "oci-archive", "docker", "oci", "dir", "tar", "disk")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _encode(text: str) -> str:
    return quote(text.encode("utf-8", "surrogateescape"), safe="/")


def artifact_uri(path: str, prefix: str = DEFAULT_URI_PREFIX) -> str:
    """Return the relative, percent-encoded URI of in-image ``path`` under ``prefix``.

    ``/etc/foo bar`` -> ``image/etc/foo%20bar``; ``/`` -> ``image/``; with an empty prefix the
    root becomes ``./`` so that the URI is never empty.
    """
    relative = normalise_path(path).lstrip("/")
    head = "/".join(_encode(part) for part in prefix.split("/") if part)
    if not head:
        return _encode(relative) if relative else "./"
    return f"{head}/{_encode(relative)}"


def base_uri_definition(prefix: str = DEFAULT_URI_PREFIX) -> JSONObject:
    """Return the ``run.originalUriBaseIds`` entry for :data:`URI_BASE_ID`."""
    return {
        "uri": "./",
        "description": {
            "text": (
                "Root of the scanned image: artifact URIs are in-image paths under "
                f"the '{clean_text(prefix.strip('/')) or '.'}/' prefix, not repository files."
            )
        },
    }


def physical_location(location: Location, prefix: str) -> JSONObject:
    """Build a SARIF ``location`` with one ``physicalLocation`` and a region (line 1 if unknown)."""
    line = location.line if location.line and location.line > 0 else 1
    return {
        "physicalLocation": {
            "artifactLocation": {
                "uri": artifact_uri(location.path, prefix),
                "uriBaseId": URI_BASE_ID,
            },
            "region": {
                "startLine": line,
                "startColumn": START_COLUMN,
                "endLine": line,
                "endColumn": END_COLUMN,
            },
        }
    }


def build_location(step: BuildStep) -> JSONObject:
    """A SARIF ``location`` on a build file's line, its URI relative to the repository root.

    No ``uriBaseId``: code scanning takes such a URI from the repository root and shows the
    result on that line of the file.
    """
    end = max(step.end_line, step.line)
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": "/".join(_encode(part) for part in step.uri.split("/"))},
            "region": {
                "startLine": step.line,
                "startColumn": START_COLUMN,
                "endLine": end,
                "endColumn": END_COLUMN,
            },
        }
    }


def _digest(*parts: str) -> str:
    joined = "\0".join(parts).encode("utf-8", "surrogateescape")
    return hashlib.sha256(joined).hexdigest()


def location_hash(evaluation: Evaluation) -> str:
    """Hash the stable part of ``primaryLocationLineHash``: rule id + in-image path + discriminator.

    Never the image reference nor the line: a new tag or an edited line above keeps the alert.
    """
    return _digest(
        evaluation.rule_id, normalise_path(evaluation.location.path), evaluation.discriminator
    )


def line_hashes(findings: Iterable[Evaluation]) -> list[str]:
    """``primaryLocationLineHash`` of each finding, given in report order.

    The stable :func:`location_hash` and its occurrence number among the findings before it
    (``<hash>:1``, ``<hash>:2``), so that several findings with one hash stay apart.
    """
    seen: Counter[str] = Counter()
    hashes = []
    for evaluation in findings:
        stable = location_hash(evaluation)
        seen[stable] += 1
        hashes.append(f"{stable}:{seen[stable]}")
    return hashes


def content_hash(evaluation: Evaluation) -> str:
    """Hash a finding's level and message, however a writer then words or links the message."""
    return _digest(evaluation.level.value, evaluation.message.strip())


def identity_hash(evaluation: Evaluation) -> str:
    """Hash everything that identifies one finding (for ``result.fingerprints``)."""
    location = evaluation.location
    return _digest(
        evaluation.rule_id,
        normalise_path(location.path),
        str(location.line or ""),
        location.access_path or "",
        evaluation.discriminator,
        evaluation.subject,
        evaluation.level.value,
        evaluation.message,
        *evaluation.evidence,
    )


def target_name(target: TargetInfo) -> str:
    """Return a stable, file-name-safe target name: no scheme, tag, digest or host directory.

    ``docker:ghcr.io/org/app:1.2`` -> ``ghcr.io-org-app``; ``tar:/tmp/x/rootfs.tar.zst`` ->
    ``rootfs.tar.zst``; ``-`` -> ``stdin``.
    """
    reference = target.reference.strip()
    for scheme in REFERENCE_SCHEMES:
        if reference.startswith(scheme + ":"):
            reference = reference[len(scheme) + 1 :]
            break
    reference = reference.split("@", 1)[0]
    if reference in ("", "-"):
        return "stdin"
    if target.source == "docker":
        head, _, last = reference.rstrip("/").rpartition("/")
        name = (head + "/" if head else "") + last.split(":", 1)[0]
    else:
        name = posixpath.basename(reference.rstrip("/")) or reference
        if target.source in ("oci", "oci-archive"):
            name = name.split(":", 1)[0]
    safe = _UNSAFE_NAME.sub("-", clean_text(name)).strip("-.")
    return safe or "target"


def category(target: TargetInfo, override: str | None = None) -> str:
    """``run.automationDetails.id``: ``imgaudit/<kind>/<name>/``, or ``override`` + ``/``.

    GitHub reads everything before the last ``/`` as the category, so the value always ends
    with ``/`` (category only, no run id).
    """
    if override is not None and override.strip("/ "):
        return override.strip().rstrip("/") + "/"
    return f"imgaudit/{target.kind.value}/{target_name(target)}/"
