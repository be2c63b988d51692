"""Where an image's files live: an outer tar read in place, a spool of a stream, or a directory.

Every store answers the same two questions: is there a member of this name, and give me a
:class:`~analyzer.sources.container.digest.Window` over its bytes. Names are archive paths
(``manifest.json``, ``blobs/sha256/<hex>``, ``<id>/layer.tar``); links between members are
followed inside the archive only. Nothing is ever extracted to a path built from a name: the
spool is a single private file, members are byte ranges in it.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.model import Notification
from analyzer.sources.base import open_read_only
from analyzer.sources.container.digest import Window, is_hex
from analyzer.stream.entry import BLOCK_SIZE, Blocks, Entry, Kind
from analyzer.stream.paths import MAX_HOPS, normalize

#: Most members an image archive may have (each layer is a few; a rootfs has many more).
MAX_MEMBERS = 100_000


def clean(name: str) -> str:
    """An archive name as a relative clean path (``./a//b/`` -> ``a/b``; ``..`` stops at top)."""
    return normalize(name)[1:]


@dataclass(frozen=True, slots=True)
class Member:
    """A regular file (byte range ``offset``..``offset+size``) or a link inside an archive."""

    name: str
    kind: Kind
    offset: int = 0
    size: int = 0
    link: str | None = None


class ArchiveStore:
    """Members of an archive, as byte ranges of one file descriptor (the archive or a spool)."""

    def __init__(
        self,
        fd: int,
        members: dict[str, Member],
        label: str,
        spool: tempfile.TemporaryDirectory[str] | None = None,
    ) -> None:
        self.fd = fd
        self.members = members
        self.label = label
        self._spool = spool

    def has(self, name: str) -> bool:
        """True when ``name`` leads to a regular file."""
        try:
            self._resolve(name)
        except SourceError:
            return False
        return True

    def _resolve(self, name: str) -> Member:
        path = clean(name)
        for _ in range(MAX_HOPS + 1):
            member = self.members.get(path)
            if member is None:
                raise SourceError(f"{self.label}: {name}: no such member")
            if member.kind is Kind.FILE:
                return member
            link = member.link or ""
            if member.kind is Kind.SYMLINK and not link.startswith("/"):
                link = path.rsplit("/", 1)[0] + "/" + link if "/" in path else link
            path = clean(link)
        raise SourceError(f"{self.label}: {name}: too many links")

    def resolve_name(self, name: str) -> str:
        """The name of the regular file ``name`` leads to, links followed."""
        return self._resolve(name).name

    def window(self, name: str) -> Window:
        """The bytes of member ``name``."""
        member = self._resolve(name)
        return Window(self.fd, member.offset, member.size, f"{self.label}: {name}")

    def close(self) -> None:
        """Close the descriptor and remove the spool, if any."""
        os.close(self.fd)
        if self._spool is not None:
            self._spool.cleanup()


def scan_tar(path: str, fd: int, limit: int = MAX_MEMBERS) -> dict[str, Member]:
    """Member byte ranges of an uncompressed tar on disk, from one pass over its headers.

    Data is skipped with seeks, never read.
    """
    members: dict[str, Member] = {}
    handle = open(fd, "rb", closefd=False)  # noqa: SIM115 - the caller owns the descriptor
    try:
        with tarfile.open(fileobj=handle, mode="r:") as archive:
            for count, info in enumerate(archive, start=1):
                if count > limit:
                    raise SourceError(f"{path}: more than {limit} members")
                member = _member(info)
                if member is not None:
                    members[member.name] = member
    except (tarfile.TarError, EOFError, OSError, UnicodeError) as exc:
        raise SourceError(f"{path}: not a readable tar archive: {exc}") from exc
    return members


def _member(info: tarfile.TarInfo) -> Member | None:
    name = clean(info.name)
    if info.isreg() and not info.issparse():
        return Member(name, Kind.FILE, info.offset_data, info.size)
    if info.issym():
        return Member(name, Kind.SYMLINK, link=info.linkname)
    if info.islnk():
        return Member(name, Kind.HARDLINK, link=info.linkname)
    return None


def open_tar_store(path: str) -> ArchiveStore:
    """An uncompressed tar file read in place."""
    fd = open_read_only(path)
    try:
        return ArchiveStore(fd, scan_tar(path, fd), path)
    except BaseException:
        os.close(fd)
        raise


class Spool:
    """Regular files of a stream, written one after another into one private temporary file.

    ``replay`` keeps every entry's metadata so a stream that turns out not to be an image can
    still be read as a root file system.
    """

    def __init__(self, label: str, notes: list[Notification] | None = None) -> None:
        self.label = label
        #: What the archive reader that fills the spool reported.
        self.notifications: list[Notification] = notes if notes is not None else []
        self._dir = tempfile.TemporaryDirectory(prefix="imgaudit-")
        self._fd = os.open(
            os.path.join(self._dir.name, "spool"), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600
        )
        self._end = 0
        self.members: dict[str, Member] = {}
        self.replay: list[tuple[Entry, int]] = []

    def fill(self, entries: Iterable[tuple[Entry, Blocks]], limit: int = MAX_MEMBERS) -> None:
        """Consume the stream: file data into the spool, links and metadata into memory."""
        for count, (entry, blocks) in enumerate(entries, start=1):
            if count > limit:
                raise SourceError(f"{self.label}: more than {limit} members")
            name = clean(entry.name)
            offset = self._end
            if entry.kind is Kind.FILE:
                for block in blocks():
                    os.pwrite(self._fd, block, self._end)
                    self._end += len(block)
                self.members[name] = Member(name, Kind.FILE, offset, self._end - offset)
            elif entry.kind in (Kind.SYMLINK, Kind.HARDLINK):
                self.members[name] = Member(name, entry.kind, link=entry.link)
            self.replay.append((entry, offset))

    def store(self) -> ArchiveStore:
        """The spooled members; the store owns the spool from now on."""
        return ArchiveStore(self._fd, self.members, self.label, self._dir)

    def entries(self) -> Iterator[tuple[Entry, Blocks]]:
        """The stream again, entry by entry, file data read back from the spool."""
        for entry, offset in self.replay:
            window = Window(self._fd, offset, entry.size, f"{self.label}: {entry.name}")
            yield entry, _blocks(window)


def _blocks(window: Window) -> Blocks:
    def read() -> Iterator[bytes]:
        read_block = window.reread()
        while block := read_block(BLOCK_SIZE):
            yield block

    return read


class DirStore:
    """An OCI image layout directory: ``oci-layout``, ``index.json`` and ``blobs/sha256/<hex>``.

    Only those names are ever opened, and the last component is never a followed link.
    """

    def __init__(self, root: str) -> None:
        self.label = root
        self._root = root
        self._fds: list[int] = []

    def _path(self, name: str) -> str | None:
        path = clean(name)
        parts = path.split("/")
        if path in ("oci-layout", "index.json") or (
            len(parts) == 3 and parts[:2] == ["blobs", "sha256"] and is_hex(parts[2])
        ):
            return os.path.join(self._root, *parts)
        return None

    def has(self, name: str) -> bool:
        """True when ``name`` is a layout file that exists as a regular file."""
        path = self._path(name)
        return path is not None and os.path.isfile(path) and not os.path.islink(path)

    def resolve_name(self, name: str) -> str:
        """Layout files are never links: ``name`` itself, cleaned."""
        return clean(name)

    def window(self, name: str) -> Window:
        """The bytes of layout file ``name``."""
        path = self._path(name)
        if path is None:
            raise SourceError(f"{self._root}: {name}: not a file of an OCI layout")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            raise SourceError(f"{self._root}: {name}: cannot open: {exc.strerror}") from exc
        self._fds.append(fd)
        return Window(fd, 0, os.fstat(fd).st_size, f"{self._root}: {name}")

    def close(self) -> None:
        """Close every opened blob."""
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()
