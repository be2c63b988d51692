"""Images in a real Docker daemon, scanned through the SDK.

The session's private ``dockerd`` (``daemon`` in tests/dockerdaemon.py) holds an archive the
tests wrote and loaded: no pulls, no network.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest
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
    assert machine_id.location.layer == result.target.layers[0]["id"]
    assert result.target.layers[0]["created_by"] == "/bin/sh -c #(nop) ADD file:base in /"


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
