"""The ``os`` fact: what the image says it is (os-release, architecture, init system)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.kernel.cgroups import InitInfo
from analyzer.model import Location

#: Where os-release(5) is, in the order it is read (the first one that exists wins).
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")


class InitKind(enum.StrEnum):
    """Which init system the image boots with."""

    SYSTEMD = "systemd"
    OPENRC = "openrc"
    OTHER = "other"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class InitSystem:
    """The init system, the evidence for it, and what the cgroup rules need to know of it."""

    kind: InitKind
    evidence: str
    details: InitInfo


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
    init: InitKind
    init_evidence: str
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImageArch:
    """The image's architecture (the ``image_arch`` fact) and how it was decided.

    ``machine`` is the ELF ``e_machine`` (``None`` for a declared name no table maps),
    ``name`` its ELF name (``EM_X86_64``), ``goarch`` its image-config name (``amd64``),
    ``source`` how it was decided and ``votes`` how many executables agreed when it was voted.
    """

    machine: int | None
    name: str
    source: str
    votes: int = 0
    goarch: str = ""
