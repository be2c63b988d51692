"""The expected shape of the JSON documents of an image, checked before anything reads them.

An image's JSON is untrusted: a ``mediaType`` that is a list or a ``layers`` that is a string
must be a one-line ``corrupt image`` error naming the JSON path
(``manifests[0].mediaType: expected a string``), not a ``TypeError`` somewhere downstream.
Shapes are small declarative values: :data:`STR`, :data:`INT`, :data:`BOOL`, :class:`Arr`,
:class:`Obj` (named fields, some required; unknown fields allowed, as the specifications
say) and :class:`Map` (any keys, one value shape). A field that is absent or ``null`` is
accepted unless it is required: Docker writes ``null`` for many empty fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.errors import SourceError
from analyzer.model import JSON

#: A checked JSON object.
Doc = Mapping[str, JSON]


@dataclass(frozen=True, slots=True)
class Scalar:
    """A JSON string, integer or boolean."""

    kind: type
    name: str


@dataclass(frozen=True, slots=True)
class Arr:
    """A JSON array whose items all have one shape."""

    item: Shape


@dataclass(frozen=True, slots=True)
class Map:
    """A JSON object with any keys and values of one shape (annotations, labels)."""

    value: Shape


@dataclass(frozen=True, slots=True)
class Obj:
    """A JSON object with known fields; ``required`` ones must be present and not null."""

    fields: Mapping[str, Shape]
    required: tuple[str, ...] = field(default=())


class Anything:
    """Any JSON value (a part of the document nothing reads)."""


Shape = Scalar | Arr | Map | Obj | Anything

STR = Scalar(str, "a string")
INT = Scalar(int, "an integer")
BOOL = Scalar(bool, "a boolean")
ANY = Anything()


def validate(value: JSON, shape: Shape, document: str) -> JSON:
    """``value`` when it has ``shape``.

    Otherwise ``SourceError("{document}: corrupt image: PATH: expected ...")`` for the first
    place that differs.
    """
    problem = _check(value, shape, "")
    if problem is not None:
        path, expected = problem
        where = f"{path}: " if path else ""
        raise SourceError(f"{document}: corrupt image: {where}expected {expected}")
    return value


def _check(value: JSON, shape: Shape, path: str) -> tuple[str, str] | None:
    """The first ``(path, expected)`` where ``value`` differs from ``shape``, depth first."""
    if isinstance(shape, Anything):
        return None
    if isinstance(shape, Scalar):
        ok = isinstance(value, shape.kind) and (shape.kind is bool or not isinstance(value, bool))
        return None if ok else (path, shape.name)
    if isinstance(shape, Arr):
        if not isinstance(value, list):
            return path, "an array"
        for index, item in enumerate(value):
            if (found := _check(item, shape.item, f"{path}[{index}]")) is not None:
                return found
        return None
    if not isinstance(value, dict):
        return path, "an object"
    if isinstance(shape, Map):
        for key, item in value.items():
            if item is not None and (found := _check(item, shape.value, _key(path, key))):
                return found
        return None
    for name in shape.required:
        if value.get(name) is None:
            return _key(path, name), "a value (it is required)"
    for name, inner in shape.fields.items():
        item = value.get(name)
        if item is not None and (found := _check(item, inner, _key(path, name))) is not None:
            return found
    return None


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def obj(value: JSON) -> Doc:
    """A checked object field (``{}`` for a null or absent one, which shapes accept)."""
    return value if isinstance(value, Mapping) else {}


def objs(value: JSON) -> list[Doc]:
    """A checked array of objects (empty for a null or absent one)."""
    return [obj(item) for item in value] if isinstance(value, list) else []


def text(value: JSON) -> str | None:
    """A checked string field (``None`` for a null or absent one)."""
    return value if isinstance(value, str) else None


def texts(value: JSON) -> list[str]:
    """A checked array of strings (empty for a null or absent one)."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


PLATFORM = Obj({"os": STR, "architecture": STR, "variant": STR})
DESCRIPTOR = Obj(
    {"mediaType": STR, "digest": STR, "size": INT, "annotations": Map(STR), "platform": PLATFORM},
    required=("digest",),
)
#: ``oci-layout`` at the top of an OCI layout.
OCI_LAYOUT = Obj({"imageLayoutVersion": STR}, required=("imageLayoutVersion",))
#: An OCI image index (``index.json`` or a nested index blob); also a Docker manifest list.
INDEX = Obj({"mediaType": STR, "manifests": Arr(DESCRIPTOR)}, required=("manifests",))
#: An OCI or Docker v2 image manifest.
MANIFEST = Obj(
    {"mediaType": STR, "config": DESCRIPTOR, "layers": Arr(DESCRIPTOR)},
    required=("config", "layers"),
)
#: A blob that is an index or a manifest, before its media type is known.
INDEX_OR_MANIFEST = Obj(
    {
        "mediaType": STR,
        "manifests": Arr(DESCRIPTOR),
        "config": DESCRIPTOR,
        "layers": Arr(DESCRIPTOR),
    }
)
_RUN_CONFIG = Obj(
    {
        "User": STR,
        "Env": Arr(STR),
        "Entrypoint": Arr(STR),
        "Cmd": Arr(STR),
        "WorkingDir": STR,
        "Labels": Map(STR),
        "ExposedPorts": Map(ANY),
        "Volumes": Map(ANY),
        "StopSignal": STR,
    }
)
#: An OCI / Docker image configuration.
CONFIG = Obj(
    {
        "os": STR,
        "architecture": STR,
        "variant": STR,
        "config": _RUN_CONFIG,
        "container_config": _RUN_CONFIG,
        "rootfs": Obj({"type": STR, "diff_ids": Arr(STR)}),
        "history": Arr(
            Obj({"created_by": STR, "comment": STR, "empty_layer": BOOL, "created": STR})
        ),
    }
)
#: ``manifest.json`` of ``docker save``.
DOCKER_MANIFEST = Arr(
    Obj(
        {"Config": STR, "RepoTags": Arr(STR), "Layers": Arr(STR)},
        required=("Config", "Layers"),
    )
)
