"""The ``facts`` part of the JSON report model: a summary of what the collectors found.

Each entry keeps the tri-state of a fact (present with a value, absent, unknown with a reason)
and a value shaped here, field by field, so a collector's internal types can change without
changing the report. :mod:`analyzer.report.build_facts` fills it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from analyzer.facts.executables import Applet
from analyzer.facts.identity import IdState
from analyzer.facts.kernel import ConfigSource
from analyzer.facts.os import InitKind
from analyzer.model import FactState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Location:
    """Where evidence or a fact was found inside the image."""

    path: Annotated[str, "the real (resolved) absolute in-image path"]
    line: Annotated[int | None, "1-based line, when one is known"]
    access_path: Annotated[str | None, "the path asked for, when it went through links"]
    layer: Annotated[str | None, "id of the layer or file system that supplied the object"]


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """One fact: its state, its value when present, where it came from, or why not."""

    state: Annotated[FactState, "`present`, `absent` (known not to hold) or `unknown`"]
    value: Annotated[T | None, "the value of a present fact, else `null`"]
    location: Annotated[Location | None, "where it was read, when known"]
    reason: Annotated[str, "why it is absent or unknown (empty when present)"]


@dataclass(frozen=True, slots=True)
class OsInfo:
    """The operating system, from os-release and the image's binaries."""

    id: Annotated[str | None, "os-release `ID`"]
    version_id: Annotated[str | None, "os-release `VERSION_ID`"]
    pretty_name: Annotated[str | None, "os-release `PRETTY_NAME`"]
    architecture: Annotated[str | None, "`amd64`, `arm64`... (`null` when not determined)"]
    architecture_source: Annotated[str, "what the architecture was read from"]
    init: Annotated[InitKind, "the init system"]
    init_evidence: Annotated[str, "why that init system"]
    fields: Annotated[Mapping[str, str], "every os-release field"]


@dataclass(frozen=True, slots=True)
class ModulesTree:
    """The modules tree of one kernel release."""

    directory: Annotated[str, "`/lib/modules/RELEASE`"]
    shipped: Annotated[int, "module files found"]
    builtin: Annotated[int, "entries of `modules.builtin`"]
    missing: Annotated[int, "`modules.dep` entries without a file"]


@dataclass(frozen=True, slots=True)
class Cgroup:
    """The cgroup hierarchy the kernel would boot with."""

    mode: Annotated[str, "`v2`, `hybrid`, `v1` or `unknown`"]
    detail: Annotated[str, "why"]
    certain: Annotated[bool, "`false` when it rests on a default a distribution may change"]


@dataclass(frozen=True, slots=True)
class AppArmor:
    """Whether AppArmor would be enabled at boot."""

    enabled: Annotated[bool, "enabled at boot"]
    detail: Annotated[str, "why"]


@dataclass(frozen=True, slots=True)
class Kernel:
    """One kernel release the image carries."""

    release: Annotated[str, "the release (`6.1.0-18-amd64`)"]
    default: Annotated[bool, "the one the boot loader starts"]
    default_reason: Annotated[str, "why it is (or is not) the default"]
    image: Annotated[str | None, "path of the kernel image"]
    image_release: Annotated[str | None, "the release the image itself names"]
    config_path: Annotated[str | None, "the configuration read"]
    config_source: Annotated[ConfigSource, "where the configuration was read"]
    config_problem: Annotated[str, "why no configuration was read"]
    modules: Annotated[ModulesTree | None, "its modules tree"]
    cmdline: Annotated[tuple[str, ...], "the effective command line, `name=value` or `name`"]
    cgroup: Annotated[Cgroup, "cgroup hierarchy at boot"]
    apparmor: Annotated[AppArmor | None, "AppArmor at boot, when a configuration says"]


@dataclass(frozen=True, slots=True)
class ModuleLoad:
    """A module loaded at boot."""

    module: Annotated[str, "module name"]
    how: Annotated[str, "what loads it"]
    location: Annotated[Location, "where that is configured"]


@dataclass(frozen=True, slots=True)
class ModulesLoad:
    """The modules the image loads at boot."""

    entries: Annotated[tuple[ModuleLoad, ...], "one per module and place"]
    sources: Annotated[tuple[str, ...], "the files that were read"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A `DIR/NAME` entry of a command search."""

    path: Annotated[str, "the entry"]
    status: Annotated[str, "`ok` or why it was skipped"]
    chain: Annotated[str, "its link chain, as text"]
    applet: Annotated[Applet | None, "for a name that leads to busybox: is it an applet there"]
    applet_note: Annotated[str, "the busybox binary (and why its applets are unknown)"]
    variant: Annotated[str | None, "`nft` or `legacy` for an xtables front-end"]
    location: Annotated[Location, "where it is"]


@dataclass(frozen=True, slots=True)
class Lookup:
    """A command looked up on the search path."""

    name: Annotated[str, "the command"]
    found: Annotated[Candidate | None, "what a shell would run, `null` when nothing qualifies"]
    rejected: Annotated[tuple[Candidate, ...], "entries skipped before it"]


@dataclass(frozen=True, slots=True)
class Executables:
    """Commands the rules look for, as `PATH` search finds them."""

    search_path: Annotated[tuple[str, ...], "the directories searched, in order"]
    path_source: Annotated[str, "where the search path came from"]
    lookups: Annotated[tuple[Lookup, ...], "one per command, sorted by name"]


@dataclass(frozen=True, slots=True)
class Hostname:
    """The host name the image carries."""

    name: Annotated[str, "the name (empty when the file is empty)"]
    path: Annotated[str, "the file"]


@dataclass(frozen=True, slots=True)
class MachineIdFile:
    """One machine-id file."""

    path: Annotated[str, "the file"]
    state: Annotated[IdState, "what the file holds (`link`: a link to `/etc/machine-id`)"]
    content: Annotated[str, "its content, trimmed"]
    relation: Annotated[str, "to `/etc/machine-id`: `link`, `equal`, `different` or empty"]
    location: Annotated[Location, "where it is"]


@dataclass(frozen=True, slots=True)
class MachineId:
    """The machine-id files, which a golden image must leave empty."""

    files: Annotated[tuple[MachineIdFile, ...], "by path"]


@dataclass(frozen=True, slots=True)
class FactsSummary:
    """What the collectors found, one entry per subject."""

    os: Annotated[Fact[OsInfo], "operating system"]
    kernels: Annotated[Fact[tuple[Kernel, ...]], "kernels, the default first"]
    modules_load: Annotated[Fact[ModulesLoad], "modules loaded at boot"]
    executables: Annotated[Fact[Executables], "commands on the search path"]
    hostname: Annotated[Fact[Hostname], "`/etc/hostname`"]
    machine_id: Annotated[Fact[MachineId], "machine-id files"]
