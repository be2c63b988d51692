"""What a source knows about its artefact beyond the tree (:meth:`Source.facts`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from analyzer.facts.image import ImageConfig
from analyzer.model import JSON


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """The image configuration of a container image, the disk layout of a VM disk.

    Each is ``None`` for sources that have none (or could not read it); the collectors of
    :mod:`analyzer.collectors.target` turn them into the ``image_config`` and ``disk`` facts.
    """

    image_config: ImageConfig | None = None
    disk: Mapping[str, JSON] | None = None
