"""The container image configuration as a fact (``image_config``).

Present for container images (platform, ``Env`` and its ``PATH``, ``User``,
``Entrypoint``/``Cmd``, ``Labels``, history), absent for root file systems and VM disks, which
have no image configuration. Later collectors read it: the executable lookup searches the
image's ``PATH``, the ELF checks compare binaries with the declared architecture.
"""

from __future__ import annotations

from typing import Any

from analyzer.analyzers.text import CapturePattern
from analyzer.collectors.base import CollectContext
from analyzer.facts import Fact, Facts
from analyzer.model import Level, Notification
from analyzer.sources.container.config import ImageConfig


class ImageConfigCollector:
    """Produces the ``image_config`` fact (an :class:`ImageConfig`)."""

    name = "image_config"
    provides = ("image_config",)
    requires: tuple[str, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """The configuration the source read, for container targets only."""
        del facts
        config = ctx.source_facts.get("image_config")
        if not ctx.is_container:
            return {"image_config": Fact.absent("not a container image")}
        if not isinstance(config, ImageConfig):
            notes.append(
                Notification(
                    Level.WARNING,
                    "collector.image_config",
                    "container image without a readable configuration",
                )
            )
            return {"image_config": Fact.unknown("the image configuration was not read")}
        return {"image_config": Fact.present(config)}
