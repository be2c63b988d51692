"""Images built with the real ``dockerd`` from Dockerfiles, on a base made with ``docker import``.

The base is a tiny merged-/usr glibc tree (the host's loader and libc) with busybox as the
shell and its applets, the private libraries of the ELF corpus, and a populated machine-id;
nothing is pulled. The classic builder runs every ``RUN`` with no network.
"""

from __future__ import annotations

from pathlib import Path

import docker
from builders import File, Item, Symlink, make_tree, to_tar
from elfcorpus import debian_base, exe

BUSYBOX = Path("/bin/busybox")
#: Applets the Dockerfiles' RUN lines use.
APPLETS = ("sh", "rm", "mkdir", "cp", "chmod", "echo", "cat", "touch", "ln")


def base_tree() -> dict[str, Item]:
    """The base image's files."""
    spec: dict[str, Item] = {
        **debian_base(),
        "usr/bin/busybox": exe(BUSYBOX),
        "etc/machine-id": File("0123456789abcdef0123456789abcdef\n"),
        "etc/hosts": File("127.0.0.1 localhost\n"),
    }
    for applet in APPLETS:
        spec[f"usr/bin/{applet}"] = Symlink("busybox")
    return spec


def import_base(client: docker.DockerClient, root: Path, spec: dict[str, Item], tag: str) -> str:
    """``docker import`` a tree as ``tag``."""
    archive = to_tar(make_tree(spec), root / "base.tar")
    repository, _, version = tag.partition(":")
    client.api.import_image_from_file(str(archive), repository, version or "latest")
    return tag


def build(
    client: docker.DockerClient, context: Path, tag: str, buildargs: dict[str, str] | None = None
) -> str:
    """Build ``context/Dockerfile`` as ``tag`` with the classic builder and no network."""
    client.images.build(
        path=str(context), tag=tag, buildargs=buildargs or {}, network_mode="none",
        rm=True, forcerm=True,
    )  # fmt: skip
    return tag
