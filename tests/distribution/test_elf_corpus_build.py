"""The ELF corpus is built per binary: a missing compiler fails only what needs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from elfcorpus import BUILD, Corpus

#: The compilers hidden from PATH, as a machine without their Debian packages would lack them.
HIDDEN = ("aarch64-linux-gnu-gcc", "musl-gcc")


@pytest.fixture
def without_cross_compilers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH holds every tool of /usr/bin but the aarch64 and musl compilers."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in Path("/usr/bin").iterdir():
        if not tool.name.startswith(HIDDEN):
            (bin_dir / tool.name).symlink_to(tool)
    monkeypatch.setenv("PATH", str(bin_dir))


@pytest.mark.usefixtures("without_cross_compilers")
def test_build_script_names_the_missing_packages_and_builds_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        ["sh", str(BUILD), str(out), "hello", "hello-arm64", "hello-musl", "rpath-app"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "build.sh: hello-arm64: aarch64-linux-gnu-gcc not found "
        "(Debian packages: gcc-aarch64-linux-gnu libc6-dev-arm64-cross)",
        "build.sh: hello-musl: musl-gcc not found (Debian packages: musl-tools)",
    ]
    assert sorted(p.name for p in out.iterdir()) == ["hello", "private", "rpath-app"]
    assert (out / "hello").read_bytes()[:4] == b"\x7fELF"


@pytest.mark.usefixtures("without_cross_compilers")
def test_corpus_fails_only_the_test_that_asks_for_an_unbuildable_binary(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "corpus")
    with pytest.raises(pytest.fail.Exception) as failed:
        corpus / "hello-arm64"
    assert "cannot build hello-arm64" in str(failed.value)
    assert "Debian packages: gcc-aarch64-linux-gnu libc6-dev-arm64-cross" in str(failed.value)
    assert (corpus / "weak").read_bytes()[:4] == b"\x7fELF"
    with pytest.raises(pytest.fail.Exception):  # the failure is remembered, not retried
        corpus / "hello-arm64"


def test_unknown_binary_is_named(tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", str(BUILD), str(tmp_path), "nope"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith("build.sh: no binary 'nope' (known: hello hello-static ")
