"""The container image, built offline from the Dockerfile, scans a mounted disk and a docker: image.

The base is a Debian root made from this machine's installed packages (``debianbase``) and
imported into the session's private daemon; the wheel and its dependencies come from the
session's wheel build and the wheelhouse. Nothing is pulled or downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from builders import File, make_tree, to_tar
from debianbase import base_tar
from wheelbuild import ROOT, Installed, wheelhouse

from analyzer.pipeline import Config, analyze
from analyzer.policy.packs import tool_version
from analyzer.report import FORMATS, ReportOptions

BASE = "imgaudit-test-base:bookworm"
IMAGE = "imgaudit:test"
PROFILES = ("--profile", "k0s", "--profile", "golden-image")
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
    result = analyze(Config(target, profiles=("k0s", "golden-image")))
    doc: dict[str, Any] = json.loads(FORMATS["json"](result, ReportOptions()))
    return doc


def test_image_runs_imgaudit_as_a_non_root_user(client: docker.DockerClient, image: str) -> None:
    config = client.images.get(image).attrs["Config"]
    assert config["Entrypoint"] == ["imgaudit"]
    assert config["User"] == USER
    assert config["WorkingDir"] == "/work"
    assert run(client, "--version")[1] == f"imgaudit {tool_version()}\n"


def test_image_scans_a_mounted_qcow2(client: docker.DockerClient, image: str, demo: Path) -> None:
    os.chmod(demo.parent, 0o755)
    os.chmod(demo, 0o644)
    code, out, err = run(
        client, "scan", demo.name, *PROFILES, "--format", "json",
        volumes={str(demo.parent): {"bind": "/work", "mode": "ro"}},
    )  # fmt: skip
    assert code == 1, err
    got, expected = json.loads(out), in_tree(str(demo))
    assert got["target"]["reference"] == demo.name
    got["target"]["reference"] = expected["target"]["reference"]
    assert got == expected


def test_image_scans_a_docker_reference_through_the_socket(
    client: docker.DockerClient, image: str, daemon: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    tree = make_tree({
        "etc/hosts": "127.0.0.1 localhost\n",
        "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
        "bin/mount": File(b"#!/bin/sh\n", mode=0o755),
    })  # fmt: skip
    client.api.import_image_from_file(str(to_tar(tree, tmp_path / "tiny.tar")), "tiny", "v1")
    socket = daemon.removeprefix("unix://")
    code, out, err = run(
        client, "scan", "docker:tiny:v1", *PROFILES, "--format", "json",
        volumes={socket: {"bind": "/var/run/docker.sock", "mode": "rw"}},
        group_add=[str(os.stat(socket).st_gid)],
    )  # fmt: skip
    assert code == 1, err
    monkeypatch.setenv("DOCKER_HOST", daemon)
    assert json.loads(out) == in_tree("docker:tiny:v1")
    code, _, err = run(client, "scan", "docker:tiny:v1")
    assert code == 2
    assert err.startswith("imgaudit: docker:tiny:v1: no Docker daemon answers at ")
