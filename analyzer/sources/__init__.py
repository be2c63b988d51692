"""Opening a target: explicit scheme prefixes first, then detection by content.

``SCHEMES`` maps each prefix to its opener; ``detect`` picks one for a bare path by looking at
the content (never the file name), in the order of :data:`DETECTORS`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from analyzer.errors import SourceError, UsageError
from analyzer.sources import container, disk
from analyzer.sources.base import Source, SourceOptions
from analyzer.sources.rootfs import ArchiveRootfs, DirectoryRootfs
from analyzer.sources.vm import VmDisk

#: Bytes read from a file to recognise its kind.
SNIFF_SIZE = 4096


Opener = Callable[[str, SourceOptions], Source]
#: The problem named when no source recognises an input.
UNRECOGNISED = "no image, archive or file system recognised"
#: The most zero bytes an empty tar holds (its end-of-archive record, default blocking).
_EMPTY_TAR_MAX = 10240


def _may_be_archive(path: str, head: bytes) -> bool:
    """False for a file of zeros larger than an empty tar: a blank disk, not an archive."""
    if head.count(0) != len(head) or not os.path.isfile(path):
        return True
    return os.path.getsize(path) <= _EMPTY_TAR_MAX


def _dir(path: str, options: SourceOptions) -> Source:
    del options
    return DirectoryRootfs(path)


def _disk(path: str, options: SourceOptions) -> Source:
    return VmDisk(path, options.backing_files)


def _tar(path: str, options: SourceOptions) -> Source:
    del options
    return ArchiveRootfs(path)


SCHEMES: dict[str, Opener] = {
    "dir": _dir,
    "tar": _tar,
    "disk": _disk,
    "docker-archive": container.open_docker_archive,
    "oci": container.open_oci,
    "oci-archive": container.open_oci_archive,
    "docker": container.open_docker,
}

#: Content detectors for bare paths, in order: (name, test on path and first bytes, opener).
DETECTORS: tuple[tuple[str, Callable[[str, bytes], bool], Opener], ...] = (
    ("oci-layout", container.is_oci_dir, container.open_oci_dir_detected),
    ("dir", lambda path, head: os.path.isdir(path), _dir),
    ("disk", lambda path, head: disk.sniff_path(path), _disk),
    ("image-archive", container.is_image_archive, container.open_detected),
    ("tar", _may_be_archive, _tar),
)


def open_source(target: str, options: SourceOptions | None = None) -> Source:
    """Open ``target`` (``scheme:rest``, a path, or ``-`` for stdin)."""
    options = options or SourceOptions()
    scheme, sep, rest = target.partition(":")
    if sep and scheme in SCHEMES and not os.path.exists(target):
        return SCHEMES[scheme](rest, options)
    if target == "-":
        return container.open_stdin(target, options)
    if not os.path.exists(target):
        if sep and "/" not in scheme:
            known = ", ".join(f"{name}:" for name in sorted(SCHEMES))
            raise UsageError(f"{target}: unknown scheme {scheme!r} (known: {known})")
        raise SourceError(f"{target}: no such file or directory")
    head = b""
    if os.path.isfile(target):
        try:
            with open(target, "rb") as handle:
                head = handle.read(SNIFF_SIZE)
        except OSError as exc:
            raise SourceError(f"{target}: cannot read: {exc.strerror}") from exc
    for _, test, opener in DETECTORS:
        if test(target, head):
            return opener(target, options)
    raise SourceError(f"{target}: {UNRECOGNISED}")
