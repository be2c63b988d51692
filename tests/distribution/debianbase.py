"""A small Debian root made from this machine's own installed packages (no registry, no pull).

The container image test builds ``FROM`` it: a shell, ``ldconfig``, Python 3 and libarchive,
with every package they depend on, copied from the files ``dpkg`` says each package owns.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

#: What the image needs at build and run time.
ROOTS = ("dash", "libc-bin", "python3", "libarchive13")
#: The merged-/usr links of a Debian 12 root.
USR_LINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
#: Files no package owns that the root needs: the loader cache ``find_library`` reads.
GENERATED = ("etc/ld.so.cache",)


def _installed() -> dict[str, list[list[str]]]:
    """Installed package -> its Pre-Depends and Depends, each a list of alternatives."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Pre-Depends},${Depends}\n"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    packages: dict[str, list[list[str]]] = {}
    for line in out.splitlines():
        status, name, depends = line.split("\t")
        if status.startswith("ii"):
            packages[name] = [
                [re.split(r"[\s:(]", alt.strip(), maxsplit=1)[0] for alt in group.split("|")]
                for group in depends.split(",")
                if group.strip()
            ]
    return packages


def closure(roots: Iterable[str] = ROOTS) -> list[str]:
    """The installed packages ``roots`` need (the first installed alternative of each)."""
    installed = _installed()
    missing = [root for root in roots if root not in installed]
    assert not missing, f"not installed: {' '.join(missing)} ('make deps' installs them)"
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            for group in installed[name]:
                todo.extend([alt for alt in group if alt in installed][:1])
    return sorted(seen)


def _canonical(path: str) -> str | None:
    """``path`` with its directory resolved (``/bin/dash`` is ``usr/bin/dash``), or None."""
    if not os.path.lexists(path):
        return None
    parent, name = os.path.split(path)
    return os.path.join(os.path.realpath(parent), name).lstrip("/")


def member_paths(packages: Iterable[str]) -> list[str]:
    """Every path the packages own, relative to ``/``, with the directories above each."""
    listed = subprocess.run(
        ["dpkg-query", "-L", *packages], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    paths: set[str] = set()
    for line in [*listed, *(f"/{name}" for name in GENERATED)]:
        path = _canonical(line) if line.startswith("/") else None
        if path:
            paths.add(path)
            parent = os.path.dirname(path)
            while parent:
                paths.add(parent)
                parent = os.path.dirname(parent)
    return sorted(paths - set(USR_LINKS))


def base_tar(dest: Path) -> Path:
    """A tar of the root: the packages' files, the /usr links, an empty /tmp and /work."""
    extras = dest.parent / "base-extras"
    extras.mkdir()
    for name, target in USR_LINKS.items():
        (extras / name).symlink_to(target)
    for name in ("tmp", "work"):
        (extras / name).mkdir(mode=0o1777 if name == "tmp" else 0o755)
        os.chmod(extras / name, 0o1777 if name == "tmp" else 0o755)
    listing = dest.parent / "base-files.txt"
    listing.write_text("".join(f"{path}\n" for path in member_paths(closure())))
    subprocess.run(
        ["tar", "--create", "--file", str(dest), "--no-recursion", "--numeric-owner",
         "-C", "/", "--files-from", str(listing), "-C", str(extras), *sorted(USR_LINKS),
         "tmp", "work"],
        check=True, capture_output=True,
    )  # fmt: skip
    return dest
