"""dpkg's ``/var/lib/dpkg/status``, distroless ``status.d/*`` files and ``info/*.list`` lists.

The status file is a series of RFC 822-like stanzas separated by blank lines; continuation
lines start with a space or a tab. A package counts as installed when the last word of its
``Status`` field is ``installed`` (dpkg's ``want flag status`` triple); the distroless
``status.d`` files, written by image builders, may carry no ``Status`` and then count as
installed. ``Version`` is kept as written (``epoch:upstream-revision``).
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.packages.model import DbFormat, Package, PackageDb, programs


def stanzas(text: str) -> Iterator[dict[str, str]]:
    """The fields of each stanza (continuation lines folded into their field)."""
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, ""
        elif line[0] in " \t":
            if last:
                fields[last] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            last = key.strip().lower()
            fields[last] = value.strip()
    if fields:
        yield fields


def _installed(fields: dict[str, str], status_required: bool) -> bool:
    status = fields.get("status")
    if status is None:
        return not status_required
    words = status.split()
    return bool(words) and words[-1] == "installed"


def parse_status(data: bytes, fmt: DbFormat = DbFormat.DPKG) -> PackageDb:
    """Installed packages of a status file (``fmt`` says which kind, for the record)."""
    text = data.decode("utf-8", "replace")
    found: list[Package] = []
    named = 0
    for fields in stanzas(text):
        name = fields.get("package")
        named += bool(name)
        if not name or not _installed(fields, fmt is DbFormat.DPKG):
            continue
        found.append(Package(name, fields.get("version", ""), fields.get("architecture", "")))
    if not named and text.strip():
        return PackageDb(fmt, (), "no stanza with a Package field")
    return PackageDb(fmt, tuple(found))


def parse_list(data: bytes) -> tuple[str, ...]:
    """The programs of one ``info/PACKAGE.list`` (one installed path per line)."""
    return programs(data.decode("utf-8", "replace").splitlines())


def list_package(path: str) -> str:
    """``mount`` for ``/var/lib/dpkg/info/mount.list`` or ``.../mount:amd64.list``."""
    name = path.rsplit("/", 1)[-1].removesuffix(".list")
    return name.split(":", 1)[0]
