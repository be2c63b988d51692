"""What an image is made of once its layout was read: config, ordered layers, identity.

Both layouts (``docker save``'s ``manifest.json`` and OCI's ``index.json``) are parsed into an
:class:`ImageSpec`; small JSON documents are read whole (under a size cap) and checked against
their digests and against their shape (:mod:`shape`) before they are trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.model import JSON
from analyzer.sources.container.digest import hex_name, verify
from analyzer.sources.container.shape import Doc, Shape, obj, objs, text, texts, validate
from analyzer.sources.container.store import ArchiveStore, DirStore

#: Largest JSON document (manifest, index, config) read into memory.
MAX_JSON = 16 << 20

Store = ArchiveStore | DirStore


@dataclass(frozen=True, slots=True)
class LayerRef:
    """One layer to apply: where its blob is and what it must hash to.

    ``digest`` is the hex sha256 of the blob as stored (checked while it is read), ``diff_id``
    the hex sha256 of the uncompressed tar (from the config's ``rootfs.diff_ids``).
    """

    blob: str
    digest: str | None
    diff_id: str | None
    media_type: str | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """One image selected from a layout."""

    layout: str
    config: Doc
    config_digest: str
    layers: tuple[LayerRef, ...]
    platform: str
    repo_tags: tuple[str, ...] = ()
    manifest_digest: str | None = None


def read_json(store: Store, name: str, shape: Shape, expected: str | None = None) -> JSON:
    """Member ``name`` parsed as JSON and checked against ``shape``.

    Its sha256 is checked against ``expected`` or its name first.
    """
    window = store.window(name)
    if window.size > MAX_JSON:
        raise SourceError(f"{window.name}: {window.size} bytes is too large for a JSON document")
    data = bytearray()
    while block := window.read(1 << 20):
        data += block
    verify(window, expected or hex_name(name))
    try:
        document: JSON = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"{window.name}: not valid JSON: {exc}") from exc
    return validate(document, shape, window.name)


def platform_of(config: Doc) -> str:
    """``os/arch[/variant]`` of an image config or a platform (``unknown`` parts when missing)."""
    parts = [text(config.get("os")) or "unknown", text(config.get("architecture")) or "unknown"]
    variant = text(config.get("variant"))
    if variant:
        parts.append(variant)
    return "/".join(parts)


def config_layers(config: Doc, count: int, what: str) -> list[tuple[str, str | None]]:
    """The hex diff id and ``created_by`` of each of the ``count`` layers the config describes.

    ``rootfs.diff_ids`` must hold one well-formed id per layer (``what`` names the config in
    the error); history entries marked ``empty_layer`` made no layer and are skipped, and a
    layer without a history entry has no ``created_by``.
    """
    ids: list[str] = []
    for value in texts(obj(config.get("rootfs")).get("diff_ids")):
        if not (value.startswith("sha256:") and len(value) == 71):
            raise SourceError(f"{what}: malformed diff id {value!r}")
        ids.append(value[len("sha256:") :])
    if len(ids) != count:
        raise SourceError(f"{what}: {len(ids)} diff ids for {count} layers")
    history = [
        text(item.get("created_by"))
        for item in objs(config.get("history"))
        if not item.get("empty_layer")
    ]
    history += [None] * (count - len(history))
    return list(zip(ids, history, strict=False))
