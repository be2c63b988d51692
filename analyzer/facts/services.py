"""The ``services`` fact: enabled, masked and installed systemd units and OpenRC runlevels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.model import Location


@dataclass(frozen=True, slots=True)
class Services:
    """Enablement links by unit name (``sshd.service``), masks, unit files, OpenRC runlevels."""

    enabled: Mapping[str, tuple[Location, ...]] = field(default_factory=dict)
    masked: Mapping[str, Location] = field(default_factory=dict)
    units: Mapping[str, Location] = field(default_factory=dict)
    runlevels: Mapping[str, tuple[Location, ...]] = field(default_factory=dict)


def unit_name(name: str) -> str:
    """``sshd`` -> ``sshd.service``; names with a type are kept."""
    return name if "." in name else f"{name}.service"
