"""The ``os`` fact: what the image says it is (os-release, architecture, init system)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.model import Location


@dataclass(frozen=True, slots=True)
class OsIdentity:
    """What the image says it is: os-release fields, architecture and init system.

    ``fields`` holds every ``KEY=value`` of os-release (unquoted); ``source`` is where it was
    read (``None`` when neither file exists). ``architecture_source`` and ``init_evidence``
    say how those were decided.
    """

    id: str | None
    version_id: str | None
    pretty_name: str | None
    source: Location | None
    architecture: str | None
    architecture_source: str
    init: str
    init_evidence: str
    fields: Mapping[str, str] = field(default_factory=dict)
