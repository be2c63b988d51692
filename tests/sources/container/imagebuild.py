"""Test-time image writers: docker-archive, OCI layout and OCI archive from ``make_tree`` layers.

Digests are real (sha256 of the bytes written) so the readers' verification is exercised.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builders import Tree, to_tar

MEDIA = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Layer:
    """One layer: its tar bytes (as stored) and uncompressed tar bytes."""

    blob: bytes
    tar: bytes
    compression: str | None
    created_by: str

    @property
    def digest(self) -> str:
        return sha(self.blob)

    @property
    def diff_id(self) -> str:
        return sha(self.tar)


def layer(tmp: Path, tree: Tree, compression: str | None = None, created_by: str = "") -> Layer:
    """Write ``tree`` as a layer tar (plain, and compressed as asked)."""
    tmp.mkdir(parents=True, exist_ok=True)
    count = len(list(tmp.iterdir()))
    plain = to_tar(tree, tmp / f"{count}.tar").read_bytes()
    blob = plain
    if compression is not None:
        blob = to_tar(tree, tmp / f"{count}.tar.{compression}", compression).read_bytes()
    return Layer(blob, plain, compression, created_by or f"ADD layer{count} /")


@dataclass
class Image:
    """An image: layers, platform, and config extras (``Env``, ``User``, ``Labels``...)."""

    layers: list[Layer]
    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    empty_history: int = 1

    def config_bytes(self) -> bytes:
        history: list[dict[str, Any]] = [
            {"created_by": "/bin/sh -c #(nop) LABEL a=b", "empty_layer": True}
        ] * self.empty_history
        history = history + [{"created_by": item.created_by} for item in self.layers]
        document: dict[str, Any] = {
            "architecture": self.architecture,
            "os": self.os,
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{x.diff_id}" for x in self.layers]},
            "history": history,
        }
        if self.variant:
            document["variant"] = self.variant
        return json.dumps(document, sort_keys=True).encode()

    def manifest_bytes(self) -> bytes:
        config = self.config_bytes()
        return json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": f"sha256:{sha(config)}",
                           "size": len(config)},
                "layers": [
                    {"mediaType": MEDIA[x.compression], "digest": f"sha256:{x.digest}",
                     "size": len(x.blob)}
                    for x in self.layers
                ],
            },
            sort_keys=True,
        ).encode()  # fmt: skip

    def platform(self) -> dict[str, str]:
        found = {"os": self.os, "architecture": self.architecture}
        return found | ({"variant": self.variant} if self.variant else {})


def oci_files(images: list[tuple[Image, str | None]], nested: bool = False) -> dict[str, bytes]:
    """Files of an OCI layout holding ``images`` (each with an optional tag).

    ``nested`` puts all images in one index blob under a single descriptor tagged with the first
    tag (a multi-platform image).
    """
    files: dict[str, bytes] = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}'}
    descriptors: list[dict[str, Any]] = []
    for image, tag in images:
        manifest = image.manifest_bytes()
        files[f"blobs/sha256/{sha(manifest)}"] = manifest
        config = image.config_bytes()
        files[f"blobs/sha256/{sha(config)}"] = config
        for item in image.layers:
            files[f"blobs/sha256/{item.digest}"] = item.blob
        descriptor: dict[str, Any] = {
            "mediaType": OCI_MANIFEST, "digest": f"sha256:{sha(manifest)}", "size": len(manifest),
        }  # fmt: skip
        if nested:
            descriptor["platform"] = image.platform()
        elif tag:
            descriptor["annotations"] = {"org.opencontainers.image.ref.name": tag}
        descriptors.append(descriptor)
    if nested:
        inner = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors})
        files[f"blobs/sha256/{sha(inner.encode())}"] = inner.encode()
        descriptors = [{
            "mediaType": OCI_INDEX, "digest": f"sha256:{sha(inner.encode())}",
            "size": len(inner), "annotations": {"org.opencontainers.image.ref.name": images[0][1]},
        }]  # fmt: skip
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": descriptors}).encode()
    return files


def write_dir(files: dict[str, bytes], root: Path) -> Path:
    """Write layout files under ``root``."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_tar(
    files: dict[str, bytes], path: Path, links: dict[str, str] | None = None, mode: str = "w"
) -> Path:
    """Write members (and symlinks ``name -> target``) as a tar (``mode`` ``w:gz`` compresses)."""
    with tarfile.open(path, mode) as out:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            out.addfile(info)
    return path


def docker_files(
    image: Image, tag: str | None, style: str = "blobs"
) -> tuple[dict[str, bytes], dict[str, str]]:
    """Files (and links) of a ``docker save`` archive.

    ``style``: ``blobs`` (Docker 25+: blobs named by digest, ``manifest.json`` last),
    ``links`` (``<id>/layer.tar`` symlinks to the blobs), ``legacy`` (real ``<id>/layer.tar``
    files and a ``<hex>.json`` config).
    """
    config = image.config_bytes()
    files: dict[str, bytes] = {}
    links: dict[str, str] = {}
    layer_names: list[str] = []
    for index, item in enumerate(image.layers):
        blob = f"blobs/sha256/{item.digest}"
        legacy_dir = sha(f"{index}{item.digest}".encode())
        if style == "legacy":
            files[f"{legacy_dir}/layer.tar"] = item.blob
            layer_names.append(f"{legacy_dir}/layer.tar")
        else:
            files[blob] = item.blob
            if style == "links":
                links[f"{legacy_dir}/layer.tar"] = f"../{blob}"
                layer_names.append(f"{legacy_dir}/layer.tar")
            else:
                layer_names.append(blob)
    config_name = f"{sha(config)}.json" if style == "legacy" else f"blobs/sha256/{sha(config)}"
    files[config_name] = config
    manifest = [{"Config": config_name, "RepoTags": [tag] if tag else None, "Layers": layer_names}]
    files["manifest.json"] = json.dumps(manifest).encode()
    return files, links
