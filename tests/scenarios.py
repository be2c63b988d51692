"""Scanning declarative trees end to end, and picking evaluations out of the result."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from builders import Item, make_tree, to_dir, to_layer, to_tar

from analyzer.analyzers import ANALYZERS
from analyzer.analyzers.text import TextCapture
from analyzer.collectors import COLLECTORS
from analyzer.collectors.base import CollectContext, Collector
from analyzer.model import (
    Evaluation,
    Facts,
    FactStore,
    Notification,
    Outcome,
    RunResult,
    TargetInfo,
    TargetKind,
)
from analyzer.pipeline import Config, analyze
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree


def scan(
    tmp_path: Path,
    spec: Mapping[str, Item],
    profiles: tuple[str, ...] = ("k0s",),
    role: str = "controller+worker",
    form: str = "dir",
) -> RunResult:
    """Write ``spec`` as a directory (``form="dir"``) or a tar archive and analyze it."""
    tree = make_tree(spec)
    if form == "dir":
        target = to_dir(tree, tmp_path / "rootfs")
    else:
        target = to_tar(tree, tmp_path / "rootfs.tar")
    return analyze(Config(str(target), profiles=profiles, role=role))


def build(spec: Mapping[str, Item]) -> Tree:
    """An in-memory tree with every collector's capture patterns and the per-file analyzers."""
    patterns: list[CapturePattern] = [p for c in COLLECTORS for p in c.capture]
    builder = TreeBuilder([TextCapture(patterns), *ANALYZERS])
    return builder.build([to_layer(make_tree(spec))])


def evaluations(result: RunResult, rule_id: str) -> list[Evaluation]:
    """Every evaluation of one rule, in report order."""
    return [e for e in result.evaluations if e.rule_id == rule_id]


def findings(result: RunResult, rule_id: str) -> list[Evaluation]:
    """The failed evaluations of one rule."""
    return [e for e in evaluations(result, rule_id) if e.outcome is Outcome.FAIL]


def only(result: RunResult, rule_id: str) -> Evaluation:
    """The single evaluation of a rule (fails the test when there are several or none)."""
    found = evaluations(result, rule_id)
    if len(found) != 1:
        raise AssertionError(f"{rule_id}: expected one evaluation, got {found}")
    return found[0]


def collect(
    collector: Collector,
    tree: Tree,
    facts: Facts | None = None,
    kind: TargetKind = TargetKind.ROOTFS,
) -> tuple[FactStore, list[Notification]]:
    """Run one collector on a tree; returns its facts and notifications."""
    notes: list[Notification] = []
    ctx = CollectContext(tree, TargetInfo("test", "test", kind))
    return collector.collect(ctx, facts or FactStore(), notes), notes
