"""Images in a local Docker daemon, through the ``docker`` SDK (``DOCKER_HOST`` is honoured).

``image.save()`` streams a ``docker save`` archive; its chunks go straight into the archive
reader (and its blobs to the same private spool as stdin, since ``manifest.json`` comes last).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import docker
import requests
from docker.errors import DockerException, ImageNotFound

from analyzer.errors import SourceError
from analyzer.sources.base import Source
from analyzer.sources.container.inputs import Request, open_stream


class _Chunks:
    """``read(count)`` over an iterator of byte chunks (a chunk may be longer than asked)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def read(self, count: int) -> bytes:
        del count
        for chunk in self._chunks:
            if chunk:
                return chunk
        return b""


def open_daemon(reference: str, platform: str | None) -> Source:
    """Image ``reference`` (``NAME[:TAG]`` or an id) from the daemon ``DOCKER_HOST`` names."""
    label = f"docker:{reference}"
    host = os.environ.get("DOCKER_HOST") or "the default socket"
    client: docker.DockerClient | None = None
    try:
        client = docker.from_env()
        client.ping()
    except (DockerException, requests.RequestException, OSError) as exc:
        if client is not None:
            client.close()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"{label}: no Docker daemon answers at {host}: {reason}") from exc
    try:
        try:
            image = client.images.get(reference)
            chunks = image.save(named=bool(image.tags))
        except ImageNotFound as exc:
            raise SourceError(f"{label}: no such image in the Docker daemon at {host}") from exc
        except (DockerException, requests.RequestException) as exc:
            raise SourceError(f"{label}: the Docker daemon refused: {exc}") from exc
        request = Request(label, "docker", "docker-archive", None, platform)
        return open_stream(_Chunks(iter(chunks)).read, label, request, expect_image=True)
    finally:
        client.close()
