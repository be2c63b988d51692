"""The image configuration as the rest of the analysis sees it (the ``image_config`` fact)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    if isinstance(value, str):
        return (value,)
    return None


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One line of the image history; ``empty_layer`` ones made no layer."""

    created_by: str | None
    empty_layer: bool = False
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """What the image asks of the runtime: platform, environment, user, command, labels.

    ``path`` is the ``PATH`` the image sets in ``Env`` (split on ``:``), ``None`` when it sets
    none (a runtime then uses its own default).
    """

    os: str | None
    architecture: str | None
    variant: str | None = None
    env: tuple[str, ...] = ()
    path: tuple[str, ...] | None = None
    user: str | None = None
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    working_dir: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    history: tuple[HistoryItem, ...] = ()

    @property
    def platform(self) -> str:
        """``os/arch[/variant]``."""
        parts = [self.os or "unknown", self.architecture or "unknown"]
        return "/".join([*parts, self.variant] if self.variant else parts)

    @classmethod
    def from_json(cls, config: Mapping[str, Any]) -> ImageConfig:
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
        return cls(
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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
