"""Package databases made by the real tools: ``rpmbuild`` + ``rpm --root``, ``dpkg-deb`` + ``dpkg``.

Each package is declared by name, version and the files it ships (their content is a line of
text); the databases come back as bytes, for a test tree, together with what the tool itself
lists (``rpm -qa``, ``dpkg-query -W``) so a parser can be compared with the tool.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Pkg:
    """A package to build: ``files`` are absolute in-image paths."""

    name: str
    version: str
    release: str = "1"
    files: tuple[str, ...] = ()
    epoch: int | None = None


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def _spec(pkg: Pkg) -> str:
    install = "\n".join(
        f"mkdir -p %{{buildroot}}{Path(f).parent}\necho {pkg.name} > %{{buildroot}}{f}"
        for f in pkg.files
    )
    epoch = f"Epoch: {pkg.epoch}\n" if pkg.epoch is not None else ""
    return (
        f"Name: {pkg.name}\nVersion: {pkg.version}\nRelease: {pkg.release}\n{epoch}"
        "Summary: test package\nLicense: MIT\nBuildArch: noarch\n"
        f"%description\ntest\n%install\n{install}\n%files\n" + "\n".join(pkg.files) + "\n"
    )


def rpm_root(work: Path, packages: list[Pkg], dbpath: str = "/var/lib/rpm") -> tuple[Path, str]:
    """An rpm database (sqlite) under ``work/root``; returns the root and ``rpm -qa`` output."""
    top = work / "rpmbuild"
    for name in ("SPECS", "BUILD", "RPMS", "SOURCES", "SRPMS", "BUILDROOT"):
        (top / name).mkdir(parents=True, exist_ok=True)
    root = work / "root"
    define = ("--define", f"_topdir {top}")
    _run("rpm", "--root", str(root), "--dbpath", dbpath, "--initdb")
    for pkg in packages:
        spec = top / "SPECS" / f"{pkg.name}.spec"
        spec.write_text(_spec(pkg))
        _run("rpmbuild", *define, "--quiet", "-bb", str(spec))
    built = sorted(str(p) for p in (top / "RPMS").rglob("*.rpm"))
    args = ("--root", str(root), "--dbpath", dbpath)
    _run("rpm", *args, "-i", "--nodeps", "--justdb", "--noscripts", *built)
    listing = _run("rpm", *args, "-qa", "--qf", "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE}\n")
    return root, listing


def rpm_bdb(work: Path, sqlite_db: bytes, page_size: int) -> bytes:
    """rpm's Berkeley DB ``Packages`` holding the headers of ``sqlite_db``, made by db_load.

    rpm keys each header by its 32-bit number in host byte order and keeps a counter in
    record 0, as here.
    """
    source = work / f"rpmdb-{page_size}.sqlite"
    source.write_bytes(sqlite_db)
    with sqlite3.connect(source) as connection:
        rows = connection.execute("SELECT hnum, blob FROM Packages").fetchall()
    connection.close()
    records = [(0, struct.pack("<I", len(rows) + 1)), *rows]
    lines = ["VERSION=3", "format=bytevalue", "type=hash", f"db_pagesize={page_size}", "HEADER=END"]
    for number, blob in records:
        lines += [" " + struct.pack("<I", number).hex(), " " + bytes(blob).hex()]
    target = work / f"Packages-{page_size}"
    subprocess.run(["db5.3_load", str(target)], input="\n".join([*lines, "DATA=END", ""]),
                   text=True, check=True, capture_output=True)  # fmt: skip
    return target.read_bytes()


def dpkg_admin(work: Path, packages: list[Pkg]) -> tuple[Path, str]:
    """A dpkg admin directory after ``dpkg -i``; returns it and ``dpkg-query -W`` output."""
    root = work / "dpkgroot"
    admin = root / "var/lib/dpkg"
    for name in ("updates", "info", "triggers"):
        (admin / name).mkdir(parents=True, exist_ok=True)
    (admin / "status").write_text("")
    debs = []
    for pkg in packages:
        tree = work / f"deb-{pkg.name}"
        (tree / "DEBIAN").mkdir(parents=True)
        version = f"{pkg.epoch}:{pkg.version}" if pkg.epoch is not None else pkg.version
        (tree / "DEBIAN/control").write_text(
            f"Package: {pkg.name}\nVersion: {version}-{pkg.release}\nArchitecture: all\n"
            "Maintainer: test <test@example.org>\nDescription: test package\n"
        )
        for path in pkg.files:
            (tree / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (tree / path.lstrip("/")).write_text(pkg.name + "\n")
        deb = work / f"{pkg.name}.deb"
        _run("dpkg-deb", "--root-owner-group", "-b", str(tree), str(deb))
        debs.append(str(deb))
    # --log keeps the record of these installs with them, out of the host's /var/log/dpkg.log.
    base = (f"--admindir={admin}", f"--root={root}", f"--log={work / 'dpkg.log'}")
    _run("dpkg", *base, "--force-not-root", "--force-script-chrootless", "--no-triggers",
         "-i", *debs)  # fmt: skip
    listing = _run("dpkg-query", f"--admindir={admin}", "-W", "-f", "${Package} ${Version}\n")
    return root, listing


def tree_files(root: Path, under: str) -> dict[str, bytes]:
    """Every regular file below ``root/under``, keyed by its path relative to ``root``."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / under).rglob("*"))
        if p.is_file()
    }


def listed(listing: str) -> set[tuple[str, str]]:
    """``{(name, version)}`` of a tool's listing, with rpm's ``0:`` epoch dropped."""
    pairs = (line.split(" ", 1) for line in listing.splitlines() if line)
    return {(name, version.removeprefix("0:")) for name, version in pairs}


RPMS = [
    Pkg("openssh-server", "9.6p1", "3.fc40", ("/usr/sbin/sshd", "/etc/ssh/sshd_config")),
    Pkg("util-linux", "2.40", "1.fc40", ("/usr/bin/mount", "/usr/bin/umount", "/usr/share/x"), 2),
]
DEBS = [
    Pkg("openssh-server", "9.2p1", "2", ("/usr/sbin/sshd", "/etc/ssh/sshd_config"), 1),
    Pkg("mount", "2.38.1", "5", ("/bin/mount", "/bin/umount")),
]


@pytest.fixture(scope="session")
def rpmdb(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], str]:
    """``var/lib/rpm/rpmdb.sqlite`` (and its companions) and what ``rpm -qa`` lists."""
    if shutil.which("rpmbuild") is None:
        pytest.skip("rpm is not installed")
    root, listing = rpm_root(tmp_path_factory.mktemp("rpm"), RPMS)
    return tree_files(root, "var/lib/rpm"), listing


@pytest.fixture(scope="session")
def dpkgdb(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], str]:
    """``var/lib/dpkg`` after ``dpkg -i`` and what ``dpkg-query -W`` lists."""
    root, listing = dpkg_admin(tmp_path_factory.mktemp("dpkg"), DEBS)
    return tree_files(root, "var/lib/dpkg"), listing
