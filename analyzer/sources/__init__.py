"""Opening a target: explicit scheme prefixes first, then detection by content.

``SCHEMES`` maps each prefix to its opener; a bare path is opened once into a
:class:`~analyzer.sources.probe.Probe` (its first and last bytes) and the first of
:data:`DETECTORS`, in order, that recognises the probe picks the opener.

Readers are imported when a detector or an opener first needs them: a directory scan loads
no disk or archive reader.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from analyzer.errors import SourceError, UsageError
from analyzer.sources import container
from analyzer.sources.base import Source, SourceOptions
from analyzer.sources.probe import Probe
from analyzer.sources.rootfs import ArchiveRootfs, DirectoryRootfs

Opener = Callable[[str, SourceOptions], Source]
#: The problem named when no source recognises an input.
UNRECOGNISED = "no image, archive or file system recognised"
#: The most zero bytes an empty tar holds (its end-of-archive record, default blocking).
_EMPTY_TAR_MAX = 10240
#: Leading bytes that must all be zero for a file to count as blank.
_BLANK_HEAD = 4096
#: An empty tar is whole 512-byte blocks: at least the two zero blocks that end an archive.
_TAR_BLOCK, _EMPTY_TAR_MIN = 512, 1024


def _may_be_archive(probe: Probe) -> bool:
    """False for zeros that are not an empty tar (two zero blocks up to one default record)."""
    head = probe.head[:_BLANK_HEAD]
    if head.count(0) != len(head) or not probe.is_file:
        return True
    size = probe.size
    return _EMPTY_TAR_MIN <= size <= _EMPTY_TAR_MAX and size % _TAR_BLOCK == 0


def _dir(path: str, options: SourceOptions) -> Source:
    del options
    return DirectoryRootfs(path)


def _is_disk(probe: Probe) -> bool:
    from analyzer.sources.disk import sniff

    return sniff(probe)


def _disk(path: str, options: SourceOptions) -> Source:
    from analyzer.sources.vm import VmDisk

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

#: Content detectors for bare paths, in order: (name, test on the shared probe, opener).
DETECTORS: tuple[tuple[str, Callable[[Probe], bool], Opener], ...] = (
    ("oci-layout", container.is_oci_dir, container.open_oci_dir_detected),
    ("dir", lambda probe: probe.is_dir, _dir),
    ("disk", _is_disk, _disk),
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
    with Probe.open(target) as probe:
        _, opener = detect(probe)
    return opener(target, options)


def detect(probe: Probe) -> tuple[str, Opener]:
    """The first of :data:`DETECTORS` that recognises ``probe``: its name and opener."""
    for name, test, opener in DETECTORS:
        if test(probe):
            return name, opener
    raise SourceError(f"{probe.path}: {UNRECOGNISED}")
