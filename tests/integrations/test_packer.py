"""The Packer example (``examples/packer``) run by a real ``packer build``.

Debian's ``packer`` (1.6.6) builds the example with its stand-in ``file`` source, which copies a
rootfs tarball made here to the artefact path; the example's ``shell-local`` post-processor
scans it. A clean image finishes the build; an image with an SSH host key fails it, with the
finding in Packer's log. SARIF and Markdown land next to the artefact either way. Packer is
kept offline: no update check (``CHECKPOINT_DISABLE``), built-in plugins only, a private home.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from builders import File, Item, make_tree, to_tar
from report.validate import validate_sarif

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "packer"
KEY = "etc/ssh/ssh_host_ed25519_key"
CLEAN: dict[str, Item] = {"etc/hosts": "127.0.0.1 localhost\n", "etc/machine-id": ""}
BAD: dict[str, Item] = {**CLEAN, KEY: File(b"-----BEGIN OPENSSH", mode=0o600)}


def packer_build(tmp_path: Path, tree: Mapping[str, Item]) -> tuple[int, str, Path]:
    """``packer build`` of the example for an image with ``tree``: exit code, log, artefact."""
    if shutil.which("packer") is None:
        pytest.fail("packer is not installed (Debian package packer; 'make deps' installs it)")
    base = to_tar(make_tree(tree), tmp_path / "base.tar")
    image = tmp_path / "output" / "golden.tar"
    env = {
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "HOME": str(tmp_path),
        "PACKER_CACHE_DIR": str(tmp_path / "cache"),
        "PACKER_PLUGIN_PATH": str(tmp_path / "plugins"),
    }
    done = subprocess.run(
        [
            "packer", "build", "-color=false",
            "-var", f"base_image={base}", "-var", f"image={image}",
            "-var", 'profiles=["golden-image"]',
            "-var", f"imgaudit={Path(sys.executable).parent / 'imgaudit'}",
            str(EXAMPLE),
        ],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr, image


def test_clean_image_passes_the_build(tmp_path: Path) -> None:
    code, log, image = packer_build(tmp_path, CLEAN)
    assert code == 0, log
    assert "    file.golden (shell-local): No findings." in log.splitlines()
    assert "Build 'file.golden' finished" in log
    assert image.is_file()
    sarif = json.loads(Path(f"{image}.sarif").read_text())
    validate_sarif(sarif)
    assert sarif["runs"][0]["results"] == []
    assert Path(f"{image}.md").read_text().startswith(f"## imgaudit: `{image}`\n")


def test_error_finding_fails_the_build_and_is_in_the_log(tmp_path: Path) -> None:
    code, log, image = packer_build(tmp_path, BAD)
    assert code == 1, log
    assert (
        f"    file.golden (shell-local):   SSH host private key in the image: /{KEY} "
        f"(error: SSH host key baked into the image: /{KEY} (18 bytes))"
    ) in log.splitlines()
    assert "Post-processor failed: Script exited with non-zero exit status: 1" in log
    sarif = json.loads(Path(f"{image}.sarif").read_text())
    validate_sarif(sarif)
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "golden-image.ssh.host-key"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f"image/{KEY}"
    markdown = Path(f"{image}.md").read_text()
    assert "`golden-image.ssh.host-key` SSH host private key in the image" in markdown
