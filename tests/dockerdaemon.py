"""A private Docker daemon for the tests, started once per session (``daemon`` fixture).

Debian's ``dockerd`` (package ``docker.io``) runs on a socket under the session's temporary
directory, with no iptables, no bridge (containers and builds get ``network_mode="none"``),
private data and exec roots, and the overlay2 storage driver where the kernel has overlayfs
(vfs, which copies every layer in full, elsewhere). Nothing is pulled: tests load or
import the images they make, and the daemon is stopped at the end.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator

import docker
import pytest

START_TIMEOUT = 60.0


def storage_driver() -> str:
    """overlay2 where the kernel has overlayfs, else vfs."""
    with open("/proc/filesystems", encoding="ascii") as handle:
        return "overlay2" if "\toverlay\n" in handle.read() else "vfs"


def _ping(socket: str) -> bool:
    try:
        client = docker.DockerClient(base_url=socket, version="auto", timeout=5)
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
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``DOCKER_HOST`` (``unix://...``) of a private daemon holding no image."""
    if shutil.which("dockerd") is None:
        pytest.fail("dockerd is not installed (Debian package docker.io; 'make deps' installs it)")
    root = tmp_path_factory.mktemp("dockerd")
    host = f"unix://{root / 'docker.sock'}"
    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - closed in teardown
    process = subprocess.Popen(
        [
            "dockerd", "--iptables=false", "--bridge=none", f"--storage-driver={storage_driver()}",
            f"--data-root={root / 'data'}", f"--exec-root={root / 'exec'}",
            f"--pidfile={root / 'dockerd.pid'}", "-H", host,
        ],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ping(host):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (root / "dockerd.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"dockerd did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.2)
        yield host
    finally:
        _stop(process)
        log.close()
