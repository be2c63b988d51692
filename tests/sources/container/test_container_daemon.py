"""Images in a real Docker daemon, scanned through the SDK.

The session's private ``dockerd`` (``daemon`` in tests/dockerdaemon.py) holds an archive the
tests wrote and loaded: no pulls, no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docker
import pytest
from builders import File, Item, make_tree, to_tar
from containerimages import sample_image
from imagebuild import Image, docker_files, write_tar

from analyzer.errors import SourceError
from analyzer.model import Outcome, TargetKind
from analyzer.pipeline import Config, analyze

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def dockerd(daemon: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """``DOCKER_HOST`` of the session's private daemon, holding the image ``demo:v1``."""
    root = tmp_path_factory.mktemp("demo-image")
    # docker 20.10 cannot load zstd layers: the plain and gzip layers only
    full = sample_image(root / "layers")
    image = Image(full.layers[:2], config=full.config)
    files, links = docker_files(image, "demo:v1")
    archive = write_tar(files, root / "demo.tar", links)
    client = docker.DockerClient(base_url=daemon, version="auto")
    try:
        client.images.load(archive.read_bytes())
    finally:
        client.close()
    return daemon


def test_image_in_the_daemon_scans_through_the_sdk(
    dockerd: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", dockerd)
    result = analyze(Config("docker:demo:v1", profiles=("k0s", "golden-image")))
    assert result.target.kind is TargetKind.CONTAINER
    assert result.target.source == "docker"
    assert result.target.reference == "docker:demo:v1"
    assert len(result.target.layers) == 2
    rules = {e.rule_id: e for e in result.evaluations}
    assert rules["k0s.executables.mount"].outcome is Outcome.FAIL
    machine_id = rules["golden-image.machine-id.populated"]
    assert machine_id.outcome is Outcome.FAIL
    assert machine_id.location.layer == result.target.layers[0].id
    assert result.target.layers[0].created_by == "/bin/sh -c #(nop) ADD file:base in /"


def test_image_by_id(dockerd: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", dockerd)
    client = docker.DockerClient(base_url=dockerd, version="auto")
    try:
        image_id = client.images.get("demo:v1").id
    finally:
        client.close()
    by_id = analyze(Config(f"docker:{image_id}", profiles=("golden-image",)))
    by_name = analyze(Config("docker:demo:v1", profiles=("golden-image",)))
    assert by_id.target.properties["config_digest"] == image_id
    assert by_id.evaluations == by_name.evaluations


def test_missing_image_is_a_clear_error(dockerd: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", dockerd)
    with pytest.raises(SourceError, match=r"^docker:nothere:v9: no such image in the Docker"):
        analyze(Config("docker:nothere:v9"))


def test_no_daemon_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path / 'none.sock'}"}
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "scan", "docker:demo:v1"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    expected = f"imgaudit: docker:demo:v1: no Docker daemon answers at unix://{tmp_path}"
    assert done.stderr.startswith(expected)
    assert len(done.stderr.splitlines()) == 1


RECIPE = ROOT / "examples" / "docker" / "build-and-scan.sh"


def _build_and_scan(
    dockerd: str, tmp_path: Path, image: str, tree: Mapping[str, Item]
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run the documented recipe: ``docker build``, then ``docker save | imgaudit scan -``."""
    context = tmp_path / "context"
    context.mkdir()
    to_tar(make_tree(tree), context / "rootfs.tar")
    (context / "Dockerfile").write_text("FROM scratch\nADD rootfs.tar /\n")
    sarif = tmp_path / f"{context.name}.sarif"
    env = {
        **os.environ,
        "DOCKER_HOST": dockerd,
        "DOCKER_BUILDKIT": "0",  # the private daemon has no BuildKit: the classic builder
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SARIF_FILE": str(sarif),
    }
    done = subprocess.run(
        ["bash", str(RECIPE), image, str(context), "--profile", "golden-image"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    return done, json.loads(sarif.read_text()) if sarif.exists() else {}


def test_build_and_scan_recipe_passes_a_clean_image(dockerd: str, tmp_path: Path) -> None:
    clean: dict[str, Item] = {"etc/hosts": "127.0.0.1 localhost\n", "etc/machine-id": ""}
    done, sarif = _build_and_scan(dockerd, tmp_path, "clean:v1", clean)
    assert done.returncode == 0, done.stderr
    assert "Target: - (container, read as docker-archive)" in done.stdout
    assert "\nNo findings.\n" in done.stdout
    [run] = sarif["runs"]
    assert run["automationDetails"]["id"] == "clean/"
    assert run["results"] == []


def test_build_and_scan_recipe_fails_the_step_on_an_error(dockerd: str, tmp_path: Path) -> None:
    key = "etc/ssh/ssh_host_ed25519_key"
    bad: dict[str, Item] = {
        "etc/hosts": "127.0.0.1 localhost\n",
        key: File(b"-----BEGIN OPENSSH", mode=0o600),
    }
    done, sarif = _build_and_scan(dockerd, tmp_path, "registry.local:5000/team/bad:v2", bad)
    assert done.returncode == 1, done.stderr
    assert (
        f"  SSH host private key in the image: /{key} "
        f"(error: SSH host key baked into the image: /{key} (18 bytes))"
    ) in done.stdout.splitlines()
    [run] = sarif["runs"]
    assert run["automationDetails"]["id"] == "registry.local:5000/team/bad/"
    [result] = run["results"]
    assert result["ruleId"] == "golden-image.ssh.host-key"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f"image/{key}"
