"""Reading an OCI / Docker image config document into the ``image_config`` fact's value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer.facts.image import HistoryItem, ImageConfig


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    if isinstance(value, str):
        return (value,)
    return None


def image_config(config: Mapping[str, Any]) -> ImageConfig:
    """Read an OCI / Docker image config document (unknown or malformed parts left out)."""
    inner = config.get("config") or config.get("container_config") or {}
    inner = inner if isinstance(inner, dict) else {}
    env = _strings(inner.get("Env")) or ()
    path: tuple[str, ...] | None = None
    for item in env:
        if item.startswith("PATH="):
            path = tuple(part for part in item[len("PATH=") :].split(":") if part)
    labels = inner.get("Labels")
    history = config.get("history")
    return ImageConfig(
        os=_text(config.get("os")),
        architecture=_text(config.get("architecture")),
        variant=_text(config.get("variant")),
        env=env,
        path=path,
        user=_text(inner.get("User")) or None,
        entrypoint=_strings(inner.get("Entrypoint")),
        cmd=_strings(inner.get("Cmd")),
        working_dir=_text(inner.get("WorkingDir")) or None,
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        history=tuple(
            HistoryItem(
                _text(item.get("created_by")),
                bool(item.get("empty_layer")),
                _text(item.get("comment")),
            )
            for item in (history if isinstance(history, list) else [])
            if isinstance(item, dict)
        ),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
