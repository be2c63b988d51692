"""The container image configuration as the analysis sees it (the ``image_config`` fact)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
