"""Telling image inputs apart from root file systems, by content, cheaply.

The detectors of :data:`analyzer.sources.DETECTORS` run for every target, so this module
imports little: the readers of each image format are loaded only once an input is taken for
an image.
"""

from __future__ import annotations

import os
import tarfile

from analyzer.errors import SourceError
from analyzer.sources.container.digest import is_hex
from analyzer.sources.container.store import clean, scan_tar
from analyzer.sources.probe import Probe

#: Headers looked at when deciding whether an uncompressed tar holds an image.
DETECT_MEMBERS = 4096
#: The file ``docker save`` writes at the top of its archive.
MANIFEST = "manifest.json"


def image_member(name: str) -> bool:
    """True for names only image archives have at their top (``manifest.json``, ``blobs/``...)."""
    path = clean(name)
    top = path.split("/", 1)[0]
    if path in (MANIFEST, "index.json", "oci-layout", "repositories") or top == "blobs":
        return True
    stem = top.split(".", 1)[0]
    return is_hex(stem) and (top == stem or top.endswith((".tar", ".json")))


def plain_tar(head: bytes) -> bool:
    """True when ``head`` starts with a valid (uncompressed) tar header."""
    try:
        tarfile.TarInfo.frombuf(head[:512], "utf-8", "surrogateescape")
    except tarfile.TarError:
        return False
    return True


def is_image_archive(probe: Probe) -> bool:
    """Detector: a tar (any compression) laid out as ``docker save`` or an OCI archive."""
    if not probe.is_file or not probe.head:
        return False
    # libarchive is loaded when a file is looked at, not for a directory
    from analyzer.sources.archive import first_entry_name

    if plain_tar(probe.head):
        try:
            fd = probe.rewound()
            if not _first_named_member_fits(fd, probe.path):
                return False
            names = scan_tar(probe.path, probe.rewound(), DETECT_MEMBERS).keys()
        except (SourceError, OSError):
            return False
        return MANIFEST in names or {"index.json", "oci-layout"} <= names
    name = first_entry_name(probe.head)
    return name is not None and image_member(name)


def _first_named_member_fits(fd: int, path: str) -> bool:
    """Whether the first member with a name (past ``./``) is one an image archive has.

    A cheap look at one header before the full scan of up to ``DETECT_MEMBERS`` headers: a
    root file system archive starts with ``etc/`` or ``bin``, never with ``manifest.json``.
    """
    from analyzer.sources.archive import ArchiveReader

    entries = ArchiveReader(fd, path, threads=False).entries()
    try:
        for entry, _ in entries:
            if clean(entry.name):
                return image_member(entry.name)
    finally:
        entries.close()
    return False


def is_oci_dir(probe: Probe) -> bool:
    """Detector: an OCI image layout directory."""
    return probe.is_dir and all(
        os.path.isfile(os.path.join(probe.path, n)) for n in ("oci-layout", "index.json")
    )
