"""Opening image inputs: archives on disk, OCI directories and streams (stdin, a daemon).

An uncompressed tar on disk is read in place: one pass over its headers finds each member's
byte range, and every layer is then read through a window of the file. A compressed archive or
a stream cannot be read in place, and ``docker save`` writes ``manifest.json`` after the blobs,
so its members are spooled to one private temporary file first. A stream whose first entry
does not look like part of an image is read as a plain root file system, without spooling.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.model import Notification
from analyzer.sources.archive import ArchiveReader
from analyzer.sources.archive_ffi import Read
from analyzer.sources.base import Source, open_read_only
from analyzer.sources.container.detect import MANIFEST, image_member, plain_tar
from analyzer.sources.container.docker_archive import read_docker_archive
from analyzer.sources.container.image import ContainerImage
from analyzer.sources.container.oci import read_oci
from analyzer.sources.container.spec import ImageSpec, Store
from analyzer.sources.container.store import ArchiveStore, DirStore, Spool, open_tar_store
from analyzer.sources.rootfs import StreamRootfs
from analyzer.stream.entry import Blocks, Entry
from analyzer.stream.paths import normalize

#: Bytes looked at to tell a plain tar from a compressed one.
SNIFF = 4096


def split_reference(rest: str) -> tuple[str, str | None]:
    """``PATH[:TAG]`` (a tag may hold colons: ``img.tar:repo:v1``).

    The path is the longest prefix ending before a colon that exists; when none exists the
    whole string is the path (and opening it reports it missing).
    """
    if os.path.exists(rest):
        return rest, None
    position = rest.rfind(":")
    while position > 0:
        if os.path.exists(rest[:position]):
            return rest[:position], rest[position + 1 :] or None
        position = rest.rfind(":", 0, position)
    return rest, None


@dataclass(frozen=True, slots=True)
class Request:
    """What was asked for: the reference and scheme to report, a forced layout, tag, platform."""

    reference: str
    scheme: str
    layout: str | None = None
    tag: str | None = None
    platform: str | None = None


def read_spec(store: Store, request: Request, notes: list[Notification]) -> ImageSpec:
    """Parse the layout the store holds (``request.layout`` forces ``docker-archive``/``oci``)."""
    layout = request.layout or ("docker-archive" if store.has(MANIFEST) else "oci")
    platform = request.platform
    if layout == "oci":
        if not (store.has("index.json") and store.has("oci-layout")):
            raise SourceError(f"{store.label}: not an OCI image layout (no index.json/oci-layout)")
        return read_oci(store, request.tag, platform, notes)
    if not store.has(MANIFEST):
        raise SourceError(f"{store.label}: not a docker archive (no {MANIFEST})")
    spec = read_docker_archive(store, request.tag)
    if platform is not None and not spec.platform.startswith(platform):
        raise SourceError(f"{store.label}: no image for platform {platform} (has: {spec.platform})")
    return spec


def image_source(store: Store, request: Request) -> ContainerImage:
    """A :class:`ContainerImage` over ``store``; the store is closed if reading its layout fails."""
    notes: list[Notification] = []
    try:
        spec = read_spec(store, request, notes)
    except BaseException:
        store.close()
        raise
    scheme = request.scheme or ("oci-archive" if spec.layout == "oci" else "docker-archive")
    return ContainerImage(store, spec, request.reference, scheme, notes)


def archive_store(path: str) -> ArchiveStore | Spool:
    """A plain tar read in place, or the spool of a compressed one."""
    fd = open_read_only(path)
    try:
        head = os.pread(fd, SNIFF, 0)
        if plain_tar(head):
            return open_tar_store(path)
        spool = Spool(path)
        size = os.fstat(fd).st_size
        try:
            reader = ArchiveReader(
                lambda n: os.read(fd, n), path, size=size, notes=spool.notifications
            )
            with closing(reader.entries()) as got:
                spool.fill(got)
        except BaseException:
            spool.store().close()
            raise
        return spool
    finally:
        os.close(fd)


def open_archive(path: str, request: Request) -> Source:
    """An image archive on disk (``docker-archive:``, ``oci-archive:`` or detected)."""
    found = archive_store(path)
    if isinstance(found, ArchiveStore):
        return image_source(found, request)
    return _from_spool(found, request)


def _from_spool(spool: Spool, request: Request) -> Source:
    store = spool.store()
    if request.layout is None and not (store.has(MANIFEST) or store.has("index.json")):
        return SpooledRootfs(spool, store)
    source = image_source(store, request)
    source.notifications[:0] = spool.notifications
    return source


def _resumed(
    leading: list[tuple[Entry, Blocks]], entries: Generator[tuple[Entry, Blocks], None, None]
) -> Iterator[tuple[Entry, Blocks]]:
    """The entries already looked at, then the rest; closing it closes the reader."""
    try:
        yield from leading
        yield from entries
    finally:
        entries.close()


def open_stream(read: Read, label: str, request: Request, expect_image: bool = False) -> Source:
    """An archive arriving as a stream: an image (spooled) or a root file system (streamed)."""
    notes: list[Notification] = []
    entries = ArchiveReader(read, label, notes=notes).entries()
    leading: list[tuple[Entry, Blocks]] = []
    for item in entries:
        leading.append(item)
        if normalize(item[0].name) != "/":
            break
    if not leading and expect_image:
        raise SourceError(f"{label}: empty archive where an image was expected")
    stream = _resumed(leading, entries)
    if not (leading and (expect_image or image_member(leading[-1][0].name))):
        return StreamRootfs(label, stream, notes)
    spool = Spool(label, notes)
    try:
        spool.fill(stream)
    except BaseException:
        spool.store().close()
        raise
    return _from_spool(spool, request)


class SpooledRootfs(StreamRootfs):
    """A stream that looked like an image at first but was not: replayed from its spool."""

    def __init__(self, spool: Spool, store: ArchiveStore) -> None:
        super().__init__(spool.label, spool.entries(), spool.notifications)
        self._store = store

    def close(self) -> None:
        """Remove the spool."""
        self._store.close()


def open_oci_dir(path: str, tag: str | None, platform: str | None) -> Source:
    """An OCI image layout directory."""
    if not os.path.isdir(path):
        raise SourceError(f"{path}: not a directory")
    reference = f"{path}:{tag}" if tag else path
    return image_source(DirStore(path), Request(reference, "oci", "oci", tag, platform))
