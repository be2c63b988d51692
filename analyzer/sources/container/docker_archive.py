"""``docker save`` / skopeo / podman archives: ``manifest.json`` -> config + ordered layers.

Layers are named by path (``blobs/sha256/<hex>``, legacy ``<id>/layer.tar`` which may be a link
to a blob, or skopeo's ``<hex>.tar``). A blob named by its digest is checked against it; any
other uncompressed layer is checked against its diff id from the config.
"""

from __future__ import annotations

from analyzer.errors import SourceError
from analyzer.sources.container.detect import MANIFEST
from analyzer.sources.container.digest import hex_name, is_hex
from analyzer.sources.container.shape import CONFIG, DOCKER_MANIFEST, Doc, obj, objs, text, texts
from analyzer.sources.container.spec import (
    ImageSpec,
    LayerRef,
    Store,
    config_layers,
    platform_of,
    read_json,
)


def _select(entries: list[Doc], tag: str | None, label: str) -> Doc:
    if tag is not None:
        wanted = _short(tag if ":" in tag.rsplit("/", 1)[-1] else f"{tag}:latest")
        for entry in entries:
            if wanted in {_short(t) for t in texts(entry.get("RepoTags"))}:
                return entry
        raise SourceError(f"{label}: no image tagged {tag!r} (has: {_tags(entries)})")
    if len(entries) != 1:
        raise SourceError(
            f"{label}: holds {len(entries)} images; name one as {label}:TAG (has: {_tags(entries)})"
        )
    return entries[0]


def _short(reference: str) -> str:
    """A reference without Docker Hub's implied prefixes (``docker.io/library/x`` -> ``x``)."""
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/"):
        if reference.startswith(prefix):
            return reference[len(prefix) :]
    return reference


def _tags(entries: list[Doc]) -> str:
    names: list[str] = []
    for entry in entries:
        names += texts(entry.get("RepoTags")) or ["<untagged>"]
    return ", ".join(names)


def read_docker_archive(store: Store, tag: str | None = None) -> ImageSpec:
    """The image ``manifest.json`` describes (the one tagged ``tag`` when there are several)."""
    label = store.label
    entries = objs(read_json(store, MANIFEST, DOCKER_MANIFEST))
    if not entries:
        raise SourceError(f"{label}: {MANIFEST} lists no image")
    entry = _select(entries, tag, label)
    config_name = text(entry.get("Config")) or ""
    layer_names = texts(entry.get("Layers"))
    config_hex = hex_name(config_name) or _json_hex(config_name)
    config = obj(read_json(store, config_name, CONFIG, config_hex))
    described = config_layers(config, len(layer_names), f"{label}: {config_name}")
    layers = tuple(
        LayerRef(
            blob=name,
            digest=hex_name(store.resolve_name(name)),
            diff_id=diff_id,
            created_by=history,
        )
        for name, (diff_id, history) in zip(layer_names, described, strict=True)
    )
    return ImageSpec(
        layout="docker-archive",
        config=config,
        config_digest=f"sha256:{config_hex}" if config_hex else "",
        layers=layers,
        platform=platform_of(config),
        repo_tags=tuple(texts(entry.get("RepoTags"))),
    )


def _json_hex(name: str) -> str | None:
    """Legacy configs are named ``<hex>.json``."""
    base = name.rsplit("/", 1)[-1]
    stem = base[: -len(".json")] if base.endswith(".json") else ""
    return stem if is_hex(stem) else None
