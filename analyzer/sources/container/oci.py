"""OCI image layouts (a directory or the same as a tar): index -> manifest -> config + layers.

Indexes may nest (a multi-platform index under a tagged descriptor). A tag selects the
top-level descriptors whose ``org.opencontainers.image.ref.name`` equals it, as skopeo does;
the platform is then chosen among the manifests found: the one asked for, else the only one,
else ``linux/amd64`` (with a note listing the others).
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.model import Level, Notification
from analyzer.sources.container.digest import parse_digest
from analyzer.sources.container.shape import (
    CONFIG,
    INDEX,
    INDEX_OR_MANIFEST,
    MANIFEST,
    OCI_LAYOUT,
    Doc,
    Shape,
    obj,
    objs,
    text,
)
from analyzer.sources.container.spec import (
    ImageSpec,
    LayerRef,
    Store,
    config_layers,
    platform_of,
    read_json,
)

REF_NAME = "org.opencontainers.image.ref.name"
DEFAULT_PLATFORM = "linux/amd64"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX_TYPES = frozenset({OCI_INDEX, "application/vnd.docker.distribution.manifest.list.v2+json"})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, "application/vnd.docker.distribution.manifest.v2+json"})
LAYER_TYPES = frozenset(
    {
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    }
)
MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Candidate:
    """An image manifest reachable from the index, with its platform."""

    digest: str
    platform: str
    tags: tuple[str, ...]


def blob(hex_digest: str) -> str:
    """Layout path of a blob."""
    return f"blobs/sha256/{hex_digest}"


def read_oci(
    store: Store, tag: str | None, platform: str | None, notes: list[Notification]
) -> ImageSpec:
    """The image selected by ``tag`` and ``platform`` from an OCI layout."""
    label = store.label
    version = obj(read_json(store, "oci-layout", OCI_LAYOUT)).get("imageLayoutVersion")
    if version != "1.0.0":
        raise SourceError(f"{label}: oci-layout: unsupported version {version!r}")
    descriptors = objs(obj(read_json(store, "index.json", INDEX)).get("manifests"))
    if tag is not None:
        tagged = [d for d in descriptors if _ref_name(d) == tag]
        if not tagged:
            names = ", ".join(sorted({_ref_name(d) or "<untagged>" for d in descriptors}))
            raise SourceError(f"{label}: no image tagged {tag!r} (has: {names or 'none'})")
        descriptors = tagged
    found: dict[str, Candidate] = {}
    for descriptor in descriptors:
        for candidate in _candidates(store, descriptor, _ref_name(descriptor), 0):
            found.setdefault(candidate.digest, candidate)
    chosen = _choose(list(found.values()), platform, label, notes)
    return _image(store, chosen)


def _ref_name(descriptor: Doc) -> str | None:
    return text(obj(descriptor.get("annotations")).get(REF_NAME))


def _candidates(store: Store, descriptor: Doc, tag: str | None, depth: int) -> list[Candidate]:
    label = store.label
    digest = parse_digest(descriptor.get("digest"), f"{label}: descriptor")
    media_type = text(descriptor.get("mediaType"))
    if obj(descriptor.get("annotations")).get("vnd.docker.reference.type"):
        return []
    if media_type is None:
        document = _json_blob(store, digest, INDEX_OR_MANIFEST)
        media_type = text(document.get("mediaType")) or (
            OCI_INDEX if "manifests" in document else OCI_MANIFEST
        )
    if media_type in INDEX_TYPES:
        if depth >= MAX_DEPTH:
            raise SourceError(f"{label}: indexes nested more than {MAX_DEPTH} deep")
        children = objs(_json_blob(store, digest, INDEX).get("manifests"))
        nested = [_candidates(store, child, tag, depth + 1) for child in children]
        return [candidate for found in nested for candidate in found]
    if media_type not in MANIFEST_TYPES:
        return []
    platform = obj(descriptor.get("platform"))
    if platform.get("os") and platform.get("architecture"):
        name = platform_of(platform)
    else:
        name = platform_of(_config(store, _json_blob(store, digest, MANIFEST))[1])
    if name.startswith("unknown/"):
        return []
    return [Candidate(digest, name, (tag,) if tag else ())]


def _matches(candidate: str, wanted: str) -> bool:
    have, want = candidate.split("/"), wanted.split("/")
    if have[:2] != want[:2]:
        return False
    if len(want) < 3:
        return True
    variant = have[2] if len(have) > 2 else ("v8" if have[1] == "arm64" else "")
    return variant == want[2]


def _choose(
    candidates: list[Candidate], platform: str | None, label: str, notes: list[Notification]
) -> Candidate:
    listed = ", ".join(sorted(c.platform for c in candidates)) or "none"
    if not candidates:
        raise SourceError(f"{label}: no image manifest found")
    if platform is not None:
        matching = [c for c in candidates if _matches(c.platform, platform)]
        if not matching:
            raise SourceError(f"{label}: no image for platform {platform} (has: {listed})")
        return matching[0]
    if len(candidates) == 1:
        return candidates[0]
    default = [c for c in candidates if _matches(c.platform, DEFAULT_PLATFORM)]
    if not default:
        raise SourceError(
            f"{label}: several platforms and none is {DEFAULT_PLATFORM}; choose one with"
            f" --platform (has: {listed})"
        )
    notes.append(
        Notification(
            Level.NOTE,
            "source.platform",
            f"{label}: image index has several platforms ({listed}); scanned"
            f" {default[0].platform} (choose another with --platform)",
        )
    )
    return default[0]


def _json_blob(store: Store, digest: str, shape: Shape) -> Doc:
    """The JSON object in blob ``digest`` (an index, a manifest or a config), checked."""
    return obj(read_json(store, blob(digest), shape, digest))


def _config(store: Store, manifest: Doc) -> tuple[str, Doc]:
    descriptor = obj(manifest.get("config"))
    digest = parse_digest(descriptor.get("digest"), f"{store.label}: config descriptor")
    return digest, _json_blob(store, digest, CONFIG)


def _image(store: Store, chosen: Candidate) -> ImageSpec:
    label = store.label
    manifest = _json_blob(store, chosen.digest, MANIFEST)
    config_digest, config = _config(store, manifest)
    descriptors = objs(manifest.get("layers"))
    described = config_layers(config, len(descriptors), f"{label}: {blob(config_digest)}")
    layers: list[LayerRef] = []
    for descriptor, (diff_id, history) in zip(descriptors, described, strict=True):
        digest = parse_digest(descriptor.get("digest"), f"{label}: layer descriptor")
        media_type = text(descriptor.get("mediaType"))
        if media_type not in LAYER_TYPES:
            raise SourceError(f"{label}: {blob(digest)}: unsupported layer type {media_type!r}")
        layers.append(
            LayerRef(
                blob=blob(digest),
                digest=digest,
                diff_id=diff_id,
                media_type=str(media_type),
                created_by=history,
            )
        )
    return ImageSpec(
        layout="oci",
        config=config,
        config_digest=f"sha256:{config_digest}",
        layers=tuple(layers),
        platform=platform_of(config),
        repo_tags=chosen.tags,
        manifest_digest=f"sha256:{chosen.digest}",
    )
