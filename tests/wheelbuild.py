"""The wheel built from this checkout, installed in a throw-away venv outside it (no network).

Fixtures (shared through tests/conftest.py): ``installed``, and ``demo``, the demo's disk.

The wheel is built from a copy of the files the distribution is made of (so nothing outside
them can leak in), by the current venv's setuptools without build isolation; its dependencies
come from the wheelhouse ``make wheelhouse`` downloads (``--no-index``: pip never reaches an
index here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The runtime dependencies' wheels and pip's, from ``make wheelhouse``.
WHEELHOUSE = ROOT / ".wheelhouse"
#: What the distribution is made of.
SOURCES = ("pyproject.toml", "README.md", "analyzer", "rules", "schema")


@dataclass(frozen=True)
class Installed:
    """A venv holding the installed wheel."""

    wheel: Path
    venv: Path
    build_log: str

    def run(
        self, *args: str, cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """``imgaudit ARGS`` from the venv, in ``cwd``, with no trace of the checkout."""
        child = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        child.update(env or {})
        return subprocess.run(
            [str(self.venv / "bin" / "imgaudit"), *args],
            capture_output=True, cwd=cwd, env=child, timeout=300, check=False,
        )  # fmt: skip


def wheelhouse() -> Path:
    """The wheelhouse, or a test failure saying how to make it."""
    if not any(WHEELHOUSE.glob("pip-*.whl")):
        pytest.fail(f"{WHEELHOUSE} has no wheels: run 'make wheelhouse' (it downloads them once)")
    return WHEELHOUSE


def build_wheel(scratch: Path) -> tuple[Path, str]:
    """Build the wheel from a copy of the sources; the wheel and the build's output."""
    source = scratch / "source"
    source.mkdir(parents=True)
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )  # fmt: skip
        else:
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "--wheel-dir", str(scratch / "dist"), str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (scratch / "dist").glob("imgaudit-*.whl")
    return wheel, done.stdout + done.stderr


def install(wheel: Path, venv: Path, build_log: str) -> Installed:
    """A new venv (no pip of its own) with the wheel and its dependencies from the wheelhouse."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-index", "--find-links", str(wheelhouse()), "--no-cache-dir", str(wheel)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(wheel, venv, build_log)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel of this checkout, installed with its dependencies in a new venv."""
    scratch = tmp_path_factory.mktemp("wheel")
    wheel, log = build_wheel(scratch / "build")
    return install(wheel, scratch / "venv", log)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``golden.qcow2`` of ``make demo``, built by its script."""
    out = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, str(ROOT / "examples" / "build_demo.py"), str(out)],
                   check=True, capture_output=True)  # fmt: skip
    return out / "golden.qcow2"
