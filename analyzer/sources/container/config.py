"""Reading an OCI / Docker image config document into the ``image_config`` fact's value."""

from __future__ import annotations

from analyzer.facts.image import HistoryItem, ImageConfig
from analyzer.model import JSON
from analyzer.sources.container.shape import Doc, obj, objs, text, texts


def _strings(value: JSON) -> tuple[str, ...] | None:
    """``Entrypoint`` and ``Cmd``: an array of strings, or a single string (a shell form)."""
    if isinstance(value, list):
        return tuple(texts(value))
    if isinstance(value, str):
        return (value,)
    return None


def image_config(config: Doc) -> ImageConfig:
    """Read an OCI / Docker image config document (checked against ``shape.CONFIG``)."""
    inner = obj(config.get("config")) or obj(config.get("container_config"))
    env = texts(inner.get("Env"))
    path: tuple[str, ...] | None = None
    for item in env:
        if item.startswith("PATH="):
            path = tuple(part for part in item[len("PATH=") :].split(":") if part)
    labels = obj(inner.get("Labels"))
    return ImageConfig(
        os=text(config.get("os")),
        architecture=text(config.get("architecture")),
        variant=text(config.get("variant")),
        env=tuple(env),
        path=path,
        user=text(inner.get("User")) or None,
        entrypoint=_strings(inner.get("Entrypoint")),
        cmd=_strings(inner.get("Cmd")),
        working_dir=text(inner.get("WorkingDir")) or None,
        labels={str(k): str(v) for k, v in labels.items()},
        history=tuple(
            HistoryItem(
                text(item.get("created_by")),
                bool(item.get("empty_layer")),
                text(item.get("comment")),
            )
            for item in objs(config.get("history"))
        ),
    )
