"""A small multi-layer image, written in every format the container sources read.

Test modules import the ``formats`` fixture from here (``from containerimages import
formats_fixture``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import File, Symlink, make_tree
from imagebuild import Image, docker_files, layer, oci_files, write_dir, write_tar

from analyzer.model import Evaluation, RunResult

CONFIG = {
    "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"],
    "User": "1000:1000",
    "Entrypoint": ["/usr/local/bin/tool"],
    "Cmd": ["--help"],
    "WorkingDir": "/srv",
    "Labels": {"org.opencontainers.image.title": "demo"},
}


def sample_image(tmp: Path) -> Image:
    """Three layers: a base with ``/bin/mount``, a gzip layer that whites it out, a zstd one."""
    base = layer(
        tmp,
        make_tree({
            "bin/mount": File(b"#!/bin/sh\n# mount\n", mode=0o755),
            "bin/umount": File(b"#!/bin/sh\n# umount\n", mode=0o755),
            "bin/sh": Symlink("busybox"),
            "bin/busybox": File(b"#!/bin/sh\n# busybox\n", mode=0o755),
            "etc/hosts": "127.0.0.1 localhost\n",
            "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
            "etc/app/old.conf": "old\n",
        }),
        None,
        "/bin/sh -c #(nop) ADD file:base in /",
    )  # fmt: skip
    middle = layer(
        tmp,
        make_tree({"bin/.wh.mount": "", "usr/local/bin/tool": File(b"#!/bin/sh\n", mode=0o755)}),
        "gzip",
        "RUN rm /bin/mount && install tool",
    )
    top = layer(
        tmp,
        make_tree({"etc/app/.wh..wh..opq": "", "etc/app/new.conf": "new\n"}),
        "zstd",
        "COPY app /etc/app",
    )
    return Image([base, middle, top], config=dict(CONFIG), empty_history=2)


def by_diff_id(result: RunResult) -> list[Evaluation]:
    """Evaluations with layer ids replaced by diff ids (compare across layer compressions)."""
    diff = {layer.id: layer.diff_id for layer in result.target.layers}
    return [
        dataclasses.replace(
            e, location=dataclasses.replace(e.location, layer=diff.get(e.location.layer or ""))
        )
        for e in result.evaluations
    ]


@dataclass(frozen=True)
class Formats:
    """The same image as every input kind."""

    image: Image
    docker: Path
    docker_links: Path
    docker_legacy: Path
    docker_gz: Path
    oci_dir: Path
    oci_tar: Path


@pytest.fixture(scope="session", name="formats")
def formats_fixture(tmp_path_factory: pytest.TempPathFactory) -> Formats:
    root = tmp_path_factory.mktemp("images")
    image = sample_image(root / "layers")
    files, links = docker_files(image, "demo:v1", "blobs")
    docker = write_tar(files, root / "docker.tar", links)
    docker_gz = write_tar(files, root / "docker.tar.gz", links, "w:gz")
    files, links = docker_files(image, "demo:v1", "links")
    docker_links = write_tar(files, root / "docker-links.tar", links)
    files, links = docker_files(image, "demo:v1", "legacy")
    docker_legacy = write_tar(files, root / "docker-legacy.tar", links)
    layout = oci_files([(image, "v1")])
    oci_dir = write_dir(layout, root / "oci")
    oci_tar = write_tar(layout, root / "oci.tar")
    return Formats(image, docker, docker_links, docker_legacy, docker_gz, oci_dir, oci_tar)
