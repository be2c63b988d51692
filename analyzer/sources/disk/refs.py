"""Files an image names (qcow2 backing files, vmdk extents), opened without leaving its directory.

An image is untrusted data, and the names it holds are too: a backing file ``/etc/shadow`` or
``../../home/user/.ssh/id_rsa`` must not make the reader open a host file. A reference is
opened only when

- it was named explicitly by the user (:class:`References` ``allowed``, the command line's
  ``--backing-file``), matched by its path or by its file name; or
- it is a relative name that stays inside the directory tree of the image that holds it:
  the name is resolved (symbolic links included) and must land under that directory, and the
  resolved path is then opened one component at a time with ``O_NOFOLLOW`` from a descriptor
  of that directory, so a link swapped in after the check is refused rather than followed.

Whatever is opened must be a regular file. Anything else is a one-line :class:`SourceError`
naming the reference.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.sources.disk.device import FileDevice

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class References:
    """How the files an image refers to may be opened.

    ``allowed`` are host paths given by the user, which a reference may name by path or by
    file name.
    """

    allowed: tuple[str, ...] = ()

    def open(self, holder: str, reference: str, what: str) -> FileDevice:
        """Open ``reference`` (a name found in the image at host path ``holder``) read-only.

        ``what`` names the reference in errors (``"backing file"``, ``"vmdk extent"``).
        """
        name = os.path.basename(holder)
        if not reference or "\0" in reference:
            raise SourceError(f"{name}: {what} {reference!r} is not a file name")
        directory = os.path.dirname(os.path.abspath(holder))
        explicit = self._explicit(directory, reference)
        if explicit is not None:
            return FileDevice(explicit)
        return _open_inside(directory, reference, name, what)

    def _explicit(self, directory: str, reference: str) -> str | None:
        wanted = os.path.normpath(os.path.join(directory, reference))
        for path in self.allowed:
            if os.path.abspath(path) == wanted or os.path.basename(path) == _base(reference):
                return path
        return None


def _base(reference: str) -> str:
    return os.path.basename(reference.rstrip("/"))


def _open_inside(directory: str, reference: str, name: str, what: str) -> FileDevice:
    hint = "; name it with --backing-file to allow it"
    outside = f"{name}: {what} {reference!r} is outside the image's directory{hint}"
    if os.path.isabs(reference):
        raise SourceError(outside)
    root = os.path.realpath(directory)
    resolved = os.path.realpath(os.path.join(root, reference))
    relative = os.path.relpath(resolved, root)
    if relative == os.curdir or relative.split(os.sep)[0] == os.pardir:
        raise SourceError(outside)
    try:
        fd = _open_nofollow(root, relative.split(os.sep))
    except FileNotFoundError as exc:
        raise SourceError(
            f"{name}: {what} {reference!r} not found next to the image{hint}"
        ) from exc
    except OSError as exc:
        raise SourceError(f"{name}: {what} {reference!r}: {exc.strerror}{hint}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SourceError(f"{name}: {what} {reference!r} is not a regular file")
        return FileDevice.from_fd(fd, os.path.join(root, relative))
    except BaseException:
        os.close(fd)
        raise


def _open_nofollow(root: str, parts: Sequence[str]) -> int:
    """Open ``root/parts...`` with no symbolic link followed on the way (``ELOOP`` if one is)."""
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in parts[:-1]:
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        return os.open(parts[-1], _FILE_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)
