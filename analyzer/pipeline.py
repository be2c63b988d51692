"""``analyze(config) -> RunResult``: source -> one pass -> collectors -> rules.

The library's entry point; the command line only parses arguments, calls :func:`analyze`,
renders the result and maps it to an exit code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.analyzers import ANALYZERS
from analyzer.analyzers.text import TextCapture
from analyzer.collectors import COLLECTORS
from analyzer.collectors.base import CollectContext, CollectOptions
from analyzer.errors import UsageError
from analyzer.model import FactStore, Level, Notification, RunResult
from analyzer.policy.engine import ROLE_CHOICES, evaluate, select
from analyzer.policy.loader import load_rules
from analyzer.policy.packs import bundled_packs
from analyzer.policy.rule import Rule
from analyzer.progress import Progress, ProgressCallback, Stage, ignore
from analyzer.sources import open_source
from analyzer.sources.base import Source, SourceOptions
from analyzer.stream.capture import CapturePattern
from analyzer.stream.sink import FileAnalyzer
from analyzer.userfiles import source_root
from analyzer.version import TOOL_VERSION
from analyzer.vfs.build import PassReport, TreeBuilder

if TYPE_CHECKING:
    from analyzer.attribution.attribute import BuildFiles

DEFAULT_PROFILES = ("k0s",)


@dataclass(frozen=True)
class Config:
    """What to analyze and how; ``progress`` receives snapshots of the scan (:mod:`.progress`)."""

    target: str
    profiles: Sequence[str] = DEFAULT_PROFILES
    role: str = "controller+worker"
    rule_files: Sequence[str] = ()
    platform: str | None = None
    all_binaries: bool = False
    #: Host files a disk image may name as backing files or extents outside its directory.
    backing_files: Sequence[str] = ()
    progress: ProgressCallback | None = field(default=None, compare=False, repr=False)
    #: Build files whose lines become findings' primary locations, and the directory their
    #: URIs are relative to (default: the current directory).
    dockerfile: str | None = None
    packer_template: str | None = None
    source_root: str | None = None


def load_all_rules(rule_files: Sequence[str] = ()) -> list[Rule]:
    """Bundled packs plus user packs, validated together.

    Parsed packs are kept in memory (never on disk) while their files keep the same
    modification time and size, so a process that runs several analyses parses them once.
    """
    packs = bundled_packs() + [(Path(p), p) for p in rule_files]
    try:
        signature = tuple(
            (str(path), display, stat.st_mtime_ns, stat.st_size)
            for path, display in packs
            for stat in (path.stat(),)
        )
    except OSError:
        return load_rules(packs)
    return list(_parsed(signature))


@lru_cache(maxsize=4)
def _parsed(signature: tuple[tuple[str, str, int, int], ...]) -> tuple[Rule, ...]:
    """The rules of the packs ``signature`` names (path, display name, mtime, size)."""
    return tuple(load_rules((Path(path), display) for path, display, _, _ in signature))


def _analyzers(packs: tuple[CapturePattern, ...]) -> list[FileAnalyzer]:
    patterns: list[CapturePattern] = list(packs)
    for collector in COLLECTORS:
        patterns.extend(collector.capture)
    return [TextCapture(patterns), *ANALYZERS]


def pack_captures(rules: Iterable[Rule]) -> tuple[CapturePattern, ...]:
    """The ``capture:`` globs of the packs of ``rules``, each once, in pack order."""
    found = {
        CapturePattern(glob, capture.max_bytes): None
        for rule in rules
        for capture in rule.capture
        for glob in capture.paths
    }
    return tuple(found)


def select_rules(config: Config) -> tuple[list[Rule], tuple[str, ...]]:
    """The rules ``config`` selects and its roles; raises UsageError for a bad role or profile."""
    if config.role not in ROLE_CHOICES:
        raise UsageError(f"unknown role {config.role!r} ({', '.join(ROLE_CHOICES)})")
    roles = ROLE_CHOICES[config.role]
    rules = load_all_rules(config.rule_files)
    known = sorted({p for rule in rules for p in rule.info.profiles})
    unknown = [p for p in config.profiles if p not in known]
    if unknown:
        raise UsageError(f"unknown profile {unknown[0]!r} (known: {', '.join(known)})")
    return select(rules, config.profiles, roles), roles


def analyze(config: Config) -> RunResult:
    """Run the whole analysis; raises :class:`~analyzer.errors.ImgauditError` subclasses."""
    selected, roles = select_rules(config)
    build = _build_files(config)

    options = SourceOptions(platform=config.platform, backing_files=tuple(config.backing_files))
    source = open_source(config.target, options)
    try:
        return _run(source, config, selected, roles, build)
    finally:
        source.close()


def _build_files(config: Config) -> BuildFiles | None:
    """The build files ``config`` names, parsed; ``None`` (and no reader loaded) without any.

    The source root is checked whether or not a build file is given.
    """
    root = source_root(config.source_root)
    if config.dockerfile is None and config.packer_template is None:
        return None
    from analyzer.attribution.attribute import read_build_files

    return read_build_files(config.dockerfile, config.packer_template, root)


def _run(
    source: Source,
    config: Config,
    selected: list[Rule],
    roles: tuple[str, ...],
    build: BuildFiles | None,
) -> RunResult:
    """The pass, the collectors and the rules, all while ``source`` is open.

    Collectors and rules may read file content the pass did not keep (random-access sources
    re-read it), so nothing here may outlive the source. Each collector and each rule is
    isolated: a crash becomes unknown facts or an unknown evaluation plus an error
    notification, and the run goes on. The source's notifications are taken last, so that
    whatever it noted during late reads is reported too.
    """
    tell = config.progress or ignore
    report = PassReport()
    captures = pack_captures(selected)
    tree = TreeBuilder(_analyzers(captures), report=report, progress=tell).build(source.layers())
    target = source.target()
    notes: list[Notification] = []
    tell(Progress(Stage.COLLECTING, report.entries, report.file_bytes))
    options = CollectOptions(all_binaries=config.all_binaries)
    ctx = CollectContext(tree, target, source.facts(), options, captures)
    facts = FactStore()
    for collector in COLLECTORS:
        try:
            facts.update(collector.collect(ctx, facts, notes))
        except Exception as exc:  # noqa: BLE001 - one collector must not stop the run
            notes.append(
                Notification(Level.ERROR, "collector.crashed", f"{collector.name}: {exc!r}")
            )
            facts.fail(collector.provides, f"{collector.name} collector failed: {exc}")

    tell(Progress(Stage.EVALUATING, report.entries, report.file_bytes))
    evaluations = evaluate(selected, facts, target.kind, notes)
    if build is not None:
        from analyzer.attribution.attribute import attribute

        evaluations = attribute(evaluations, target, facts, build, notes)
    notifications = (*source.notifications, *report.notifications, *notes)
    return RunResult(
        target=target,
        rules=tuple(rule.info for rule in selected),
        evaluations=tuple(evaluations),
        notifications=notifications,
        facts=facts,
        profiles=tuple(config.profiles),
        roles=roles,
        tool_version=TOOL_VERSION,
        complete=report.complete and not any(n.level is Level.ERROR for n in notifications),
    )
