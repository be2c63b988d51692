"""Images in a real Docker daemon, scanned through the SDK.

A private ``dockerd`` (Debian's ``docker.io``) is started on a socket under the test's temporary
directory, with no iptables, no bridge, the vfs storage driver and private data and exec
roots; the tests load an archive they wrote (no pulls, no network) and stop the daemon at the
end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from containerimages import sample_image
from imagebuild import Image, docker_files, write_tar

from analyzer.errors import SourceError
from analyzer.model import Outcome, TargetKind
from analyzer.pipeline import Config, analyze

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 60.0


def _ping(socket: Path) -> bool:
    try:
        client = docker.DockerClient(base_url=f"unix://{socket}", version="auto", timeout=5)
    except docker.errors.DockerException:
        return False
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False
    finally:
        client.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``DOCKER_HOST`` of a private daemon holding the image ``demo:v1``."""
    if shutil.which("dockerd") is None:
        pytest.fail("dockerd is not installed (Debian package docker.io; 'make deps' installs it)")
    root = tmp_path_factory.mktemp("dockerd")
    socket = root / "docker.sock"
    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - closed in teardown
    process = subprocess.Popen(
        [
            "dockerd", "--iptables=false", "--bridge=none", "--storage-driver=vfs",
            f"--data-root={root / 'data'}", f"--exec-root={root / 'exec'}",
            f"--pidfile={root / 'dockerd.pid'}", "-H", f"unix://{socket}",
        ],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ping(socket):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (root / "dockerd.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"dockerd did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.2)
        # docker 20.10 cannot load zstd layers: the plain and gzip layers only
        full = sample_image(root / "layers")
        image = Image(full.layers[:2], config=full.config)
        files, links = docker_files(image, "demo:v1")
        archive = write_tar(files, root / "demo.tar", links)
        client = docker.DockerClient(base_url=f"unix://{socket}", version="auto")
        try:
            client.images.load(archive.read_bytes())
        finally:
            client.close()
        yield f"unix://{socket}"
    finally:
        _stop(process)
        log.close()


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
