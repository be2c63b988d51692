"""The container image, built offline from the Dockerfile, scans a mounted disk and a docker: image.

The base is a Debian root made from this machine's installed packages (``debianbase``) and
imported into the session's private daemon; the wheel and its dependencies come from the
session's wheel build and the wheelhouse. Nothing is pulled or downloaded.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from builders import File, make_tree, to_tar
from debianbase import base_tar
from jsonreports import load_report
from readme import PROFILE_ARGS, block, checkout_report, run_line
from wheelbuild import ROOT, Installed, wheelhouse

from analyzer.version import TOOL_VERSION

BASE = "imgaudit-test-base:bookworm"
IMAGE = "imgaudit:test"
#: The non-root user the Dockerfile runs as.
USER = "10001:10001"


@pytest.fixture(scope="module")
def client(daemon: str) -> Iterator[docker.DockerClient]:
    """A client of the session's private daemon."""
    client = docker.DockerClient(base_url=daemon, version="auto", timeout=300)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def image(
    client: docker.DockerClient, installed: Installed, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """``imgaudit:test`` built from the Dockerfile on a base made from this machine's Debian."""
    scratch = tmp_path_factory.mktemp("image")
    repository, tag = BASE.split(":")
    client.api.import_image_from_file(str(base_tar(scratch / "base.tar")), repository, tag)
    context = scratch / "context"
    (context / "wheels").mkdir(parents=True)
    shutil.copy2(ROOT / "Dockerfile", context / "Dockerfile")
    for wheel in [installed.wheel, *wheelhouse().glob("*.whl")]:
        shutil.copy2(wheel, context / "wheels" / wheel.name)
    client.images.build(
        path=str(context), tag=IMAGE, buildargs={"BASE": BASE}, network_mode="none",
        rm=True, forcerm=True,
    )  # fmt: skip
    return IMAGE


def run(client: docker.DockerClient, *args: str, **options: Any) -> tuple[int, str, str]:
    """Run the image with ``args``; its exit code, stdout and stderr."""
    container = client.containers.create(IMAGE, list(args), network_mode="none", **options)
    try:
        container.start()
        code = container.wait(timeout=300)["StatusCode"]
        out = container.logs(stdout=True, stderr=False).decode()
        err = container.logs(stdout=False, stderr=True).decode()
    finally:
        container.remove(force=True)
    return code, out, err


def in_tree(target: str) -> dict[str, Any]:
    """The checkout's JSON report for ``target``."""
    return load_report(checkout_report(target))


def test_image_runs_imgaudit_as_a_non_root_user(client: docker.DockerClient, image: str) -> None:
    config = client.images.get(image).attrs["Config"]
    assert config["Entrypoint"] == ["imgaudit"]
    assert config["User"] == USER
    assert config["WorkingDir"] == "/work"
    assert run(client, "--version")[1] == f"imgaudit {TOOL_VERSION}\n"


def test_image_scans_a_mounted_qcow2(client: docker.DockerClient, image: str, demo: Path) -> None:
    os.chmod(demo.parent, 0o755)
    os.chmod(demo, 0o644)
    code, out, err = run(
        client, "scan", demo.name, *PROFILE_ARGS, "--format", "json",
        volumes={str(demo.parent): {"bind": "/work", "mode": "ro"}},
    )  # fmt: skip
    assert code == 1, err
    got, expected = load_report(out), in_tree(str(demo))
    assert got["target"]["reference"] == demo.name
    got["target"]["reference"] = expected["target"]["reference"]
    assert got == expected


@pytest.fixture(scope="module")
def tiny(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A one-layer image in the daemon with a machine-id and no kernel."""
    tree = make_tree({
        "etc/hosts": "127.0.0.1 localhost\n",
        "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
        "bin/mount": File(b"#!/bin/sh\n", mode=0o755),
    })  # fmt: skip
    archive = to_tar(tree, tmp_path_factory.mktemp("tiny") / "tiny.tar")
    client.api.import_image_from_file(str(archive), "tiny", "v1")
    return "tiny:v1"


def test_image_scans_a_docker_reference_through_the_socket(
    client: docker.DockerClient, image: str, tiny: str, daemon: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    socket = daemon.removeprefix("unix://")
    code, out, err = run(
        client, "scan", f"docker:{tiny}", *PROFILE_ARGS, "--format", "json",
        volumes={socket: {"bind": "/var/run/docker.sock", "mode": "rw"}},
        group_add=[str(os.stat(socket).st_gid)],
    )  # fmt: skip
    assert code == 1, err
    monkeypatch.setenv("DOCKER_HOST", daemon)
    assert load_report(out) == in_tree(f"docker:{tiny}")
    code, _, err = run(client, "scan", f"docker:{tiny}")
    assert code == 2
    assert err.startswith(f"imgaudit: docker:{tiny}: no Docker daemon answers at ")


def test_readme_container_lines_run_as_written(
    client: docker.DockerClient, image: str, tiny: str, daemon: str, demo: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    client.images.get(image).tag("imgaudit", "latest")
    client.images.get(tiny).tag("myapp", "1.0")
    work = tmp_path / "work"
    work.mkdir(mode=0o755)
    os.chmod(work, 0o755)
    shutil.copy2(demo, work / "golden.qcow2")
    os.chmod(work / "golden.qcow2", 0o644)
    socket = daemon.removeprefix("unix://")
    env = {**os.environ, "DOCKER_HOST": daemon}
    lines = [
        line.replace("-v /var/run/docker.sock:", f"-v {socket}:").replace(
            "%g /var/run/docker.sock", f"%g {socket}"
        )
        for line in block("make image")
    ]
    done = [run_line(line, work, env) for line in lines]
    assert [d.returncode for d in done] == [0, 1, 1], [d.stderr for d in done]
    monkeypatch.chdir(work)
    assert done[1].stdout == checkout_report("golden.qcow2", "text")
    monkeypatch.setenv("DOCKER_HOST", daemon)
    assert done[2].stdout == checkout_report("docker:myapp:1.0", "text", ("k0s",))
