"""Container images: ``docker save`` archives, OCI layouts and archives, a local Docker daemon.

The openers here have the signature of :data:`analyzer.sources.SCHEMES` entries; the detectors
that of :data:`analyzer.sources.DETECTORS` tests.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from analyzer.sources.base import Source
from analyzer.sources.container.detect import is_image_archive, is_oci_dir

if TYPE_CHECKING:
    from analyzer.sources.base import SourceOptions
    from analyzer.sources.container.inputs import Request

__all__ = [
    "is_image_archive",
    "is_oci_dir",
    "open_detected",
    "open_docker",
    "open_docker_archive",
    "open_oci",
    "open_oci_archive",
    "open_oci_dir_detected",
    "open_stdin",
]


# The readers of each input kind are imported when one is opened (see ``detect``).


def _stdin(request: Request) -> Source:
    from analyzer.sources.container.inputs import open_stream

    fd = sys.stdin.fileno()
    return open_stream(lambda n: os.read(fd, n), "<stdin>", request)


def open_docker_archive(rest: str, options: SourceOptions) -> Source:
    """``docker-archive:PATH[:TAG]`` (``-`` reads stdin)."""
    from analyzer.sources.container.inputs import Request, open_archive, split_reference

    path, tag = split_reference(rest)
    request = Request(rest, "docker-archive", "docker-archive", tag, options.platform)
    return _stdin(request) if path == "-" else open_archive(path, request)


def open_oci_archive(rest: str, options: SourceOptions) -> Source:
    """``oci-archive:PATH[:TAG]`` (``-`` reads stdin)."""
    from analyzer.sources.container.inputs import Request, open_archive, split_reference

    path, tag = split_reference(rest)
    request = Request(rest, "oci-archive", "oci", tag, options.platform)
    return _stdin(request) if path == "-" else open_archive(path, request)


def open_oci(rest: str, options: SourceOptions) -> Source:
    """``oci:PATH[:TAG]``: an OCI image layout directory."""
    from analyzer.sources.container.inputs import open_oci_dir, split_reference

    path, tag = split_reference(rest)
    return open_oci_dir(path, tag, options.platform)


def open_docker(rest: str, options: SourceOptions) -> Source:
    """``docker:NAME[:TAG]`` or ``docker:ID`` from the local daemon."""
    from analyzer.sources.container.daemon import open_daemon

    return open_daemon(rest, options.platform)


def open_detected(path: str, options: SourceOptions) -> Source:
    """An image archive recognised by content (docker-archive or OCI archive)."""
    from analyzer.sources.container.inputs import Request, open_archive

    return open_archive(path, Request(path, "", None, None, options.platform))


def open_stdin(path: str, options: SourceOptions) -> Source:
    """``-``: an image archive or a root file system archive on stdin, told apart by content."""
    del path
    from analyzer.sources.container.inputs import Request

    return _stdin(Request("-", "", None, None, options.platform))


def open_oci_dir_detected(path: str, options: SourceOptions) -> Source:
    """An OCI image layout directory recognised by content."""
    from analyzer.sources.container.inputs import open_oci_dir

    return open_oci_dir(path, None, options.platform)
