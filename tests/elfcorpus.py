"""The ELF corpus (``fixtures/elf/build.sh``) built once per session, and trees made from it."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from builders import File, Item, Symlink, make_tree, to_layer

from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.analyzers.text import TextCapture
from analyzer.collectors.architecture import ArchitectureCollector
from analyzer.collectors.base import CollectContext, CollectOptions
from analyzer.collectors.linkage.collect import LinkageCollector
from analyzer.model import Facts, FactStore, Notification, TargetInfo, TargetKind
from analyzer.stream.sink import FileAnalyzer
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree

BUILD = Path(__file__).resolve().parents[1] / "fixtures" / "elf" / "build.sh"
HOST_LIBDIR = Path("/usr/lib/x86_64-linux-gnu")
MUSL_LIBC = Path("/usr/lib/x86_64-linux-musl/libc.so")


class Corpus:
    """The corpus directory, each binary built the first time a test asks for it.

    ``corpus / "hello"`` builds ``hello`` (``corpus / "private"`` the private libraries); a
    binary whose compiler is missing fails the tests that use it, with build.sh's message
    naming the Debian packages, and no other test.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._failed: dict[str, str] = {}
        self._built: set[str] = set()

    def __truediv__(self, name: str) -> Path:
        self._build(name)
        return self.root / name

    def every(self) -> Path:
        """The directory with every binary built (for tests that walk the whole corpus)."""
        self._build()
        return self.root

    def _build(self, *names: str) -> None:
        key = " ".join(names) or "every binary"
        if key in self._built:
            return
        if key not in self._failed:
            done = subprocess.run(
                ["sh", str(BUILD), str(self.root), *names],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                self._built.add(key)
                return
            self._failed[key] = f"fixtures/elf/build.sh cannot build {key}:\n{done.stderr}"
        pytest.fail(self._failed[key])


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The corpus, built one binary at a time into a session directory."""
    return Corpus(tmp_path_factory.mktemp("elf"))


def exe(path: Path, mode: int = 0o755, **extra: Any) -> File:
    """A file item with a binary's bytes."""
    return File(path.read_bytes(), mode=mode, **extra)


def debian_base() -> dict[str, Item]:
    """A merged-/usr glibc system: loader, libc, ld.so.conf, the root links."""
    return {
        "bin": Symlink("usr/bin"),
        "sbin": Symlink("usr/sbin"),
        "lib": Symlink("usr/lib"),
        "lib64": Symlink("usr/lib64"),
        "usr/lib64/ld-linux-x86-64.so.2": Symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": exe(HOST_LIBDIR / "ld-linux-x86-64.so.2"),
        "usr/lib/x86_64-linux-gnu/libc.so.6": exe(HOST_LIBDIR / "libc.so.6"),
        "etc/ld.so.conf": File("include /etc/ld.so.conf.d/*.conf\n"),
        "etc/ld.so.conf.d/x86_64-linux-gnu.conf": File(
            "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n"
            "/usr/lib/x86_64-linux-gnu\n"
        ),
    }


def build_tree(spec: Mapping[str, Item]) -> Tree:
    """Run the pass with the ELF analyzer and the linkage collector's text capture."""
    analyzers: list[FileAnalyzer] = [TextCapture(LinkageCollector.capture), ElfAnalyzer()]
    return TreeBuilder(analyzers).build([to_layer(make_tree(spec))])


def collect(
    tree: Tree, all_binaries: bool = False, facts: Facts | None = None
) -> tuple[FactStore, list[Notification]]:
    """The facts of the architecture and linkage collectors, and their notifications."""
    target = TargetInfo("test", "dir", TargetKind.ROOTFS)
    ctx = CollectContext(tree, target, options=CollectOptions(all_binaries=all_binaries))
    notes: list[Notification] = []
    known = FactStore()
    if facts is not None:
        known.update(facts)
    known.update(ArchitectureCollector().collect(ctx, known, notes))
    known.update(LinkageCollector().collect(ctx, known, notes))
    return known, notes
