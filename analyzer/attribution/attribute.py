"""Give evaluations the build step that caused them (``--dockerfile``, ``--packer-template``).

A Dockerfile maps layers to lines (:mod:`analyzer.attribution.history`): an evaluation whose
location's layer maps to a line gets that line. A Packer template maps in-image paths to
provisioners (:mod:`analyzer.attribution.packer`). What cannot be mapped, or not without
doubt, keeps its image path as the primary location, and a notification says why.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.attribution.dockerfile import Dockerfile, read_dockerfile
from analyzer.attribution.history import Match, map_layers, read_entry
from analyzer.attribution.packer import PackerTemplate, read_template
from analyzer.errors import UsageError
from analyzer.facts import IMAGE_CONFIG
from analyzer.model import (
    BuildStep,
    Evaluation,
    Facts,
    Level,
    Location,
    Notification,
    TargetInfo,
    TargetKind,
)


@dataclass(frozen=True, slots=True)
class BuildFiles:
    """The build files given, already parsed, and the directory their URIs are relative to."""

    dockerfile: Dockerfile | None = None
    packer: PackerTemplate | None = None
    source_root: str = "."


def read_build_files(dockerfile: str | None, packer_template: str | None, root: str) -> BuildFiles:
    """Parse the build files given (UsageError naming a file that cannot be used).

    ``root`` is the checked source root (:func:`analyzer.userfiles.source_root`).
    """
    parsed = read_dockerfile(dockerfile) if dockerfile else None
    if dockerfile:
        relative_uri(dockerfile, root)
    packer = read_template(packer_template) if packer_template else None
    if packer_template:
        relative_uri(packer_template, root)
    return BuildFiles(parsed, packer, root)


def relative_uri(path: str, root: str) -> str:
    """``path`` relative to ``root`` with ``/`` separators; UsageError when it is outside."""
    relative = _within(path, root)
    if relative is None:
        raise UsageError(
            f"{path}: outside the source root {root} (give --source-root, the repository root)"
        )
    return relative


def _within(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with ``/`` separators; ``None`` when it is outside."""
    relative = os.path.relpath(Path(path).resolve(), Path(root).resolve())
    if relative == ".." or relative.startswith(".." + os.sep):
        return None
    return relative.replace(os.sep, "/")


def attribute(
    evaluations: Sequence[Evaluation],
    target: TargetInfo,
    facts: Facts,
    build: BuildFiles,
    notes: list[Notification],
) -> list[Evaluation]:
    """``evaluations`` with :attr:`~analyzer.model.Evaluation.origin` set where a step caused it."""
    steps: dict[str, BuildStep] = {}
    if build.dockerfile is not None:
        steps = _dockerfile_steps(build.dockerfile, target, facts, build.source_root, notes)
    packer = build.packer
    if packer is not None:
        relative_uri(packer.path, build.source_root)
        notes.extend(
            Notification(Level.WARNING, "packer.script-unread",
                         f"{packer.path}: script {script} is named through a variable and was "
                         "not read; what it writes stays at its image path")
            for script in packer.unread
        )  # fmt: skip
    if not steps and packer is None:
        return list(evaluations)
    result = []
    for evaluation in evaluations:
        step = _step(evaluation.location, steps, packer, build.source_root)
        result.append(dataclasses.replace(evaluation, origin=step) if step else evaluation)
    return result


def _step(
    location: Location, steps: Mapping[str, BuildStep], packer: PackerTemplate | None, root: str
) -> BuildStep | None:
    if location.layer is not None and location.layer in steps:
        return steps[location.layer]
    if packer is not None:
        paths = (location.path, location.access_path) if location.access_path else (location.path,)
        for path in paths:
            trace = packer.trace_for(path)
            uri = None if trace is None else _within(trace.file, root)
            if trace is not None and uri is not None:
                return BuildStep(uri, trace.line, trace.line, trace.instruction)
    return None


def _dockerfile_steps(
    dockerfile: Dockerfile,
    target: TargetInfo,
    facts: Facts,
    root: str,
    notes: list[Notification],
) -> dict[str, BuildStep]:
    """Layer id -> the step that made it; notifications for layers left unattributed."""
    name = dockerfile.path
    config = facts.value(IMAGE_CONFIG)
    if target.kind is not TargetKind.CONTAINER or config is None:
        notes.append(_unused(name, "not-an-image", "the target is not a container image"))
        return {}
    entries = [read_entry(item.created_by, item.empty_layer) for item in config.history]
    layers = [layer.id for layer in target.layers]
    if sum(not entry.empty for entry in entries) != len(layers):
        why = f"the image history does not list its {len(layers)} layers"
        notes.append(_unused(name, "no-history", why))
        return {}
    uri = relative_uri(dockerfile.path, root)
    steps: dict[str, BuildStep] = {}
    made_by = [entry for entry in config.history if not entry.empty_layer]
    for number, (layer, match, item) in enumerate(
        zip(layers, map_layers(dockerfile, entries), made_by, strict=True), start=1
    ):
        if match.instruction is not None:
            found = match.instruction
            steps[layer] = BuildStep(uri, found.line, found.end_line, found.first_line)
        else:
            notes.append(_unmatched(name, number, len(layers), item.created_by or "", match))
    return steps


def _unused(name: str, code: str, why: str) -> Notification:
    """The Dockerfile cannot be used at all: why, and that findings stay at image paths."""
    return Notification(
        Level.WARNING, f"dockerfile.{code}", f"{name}: {why}; findings stay at their image paths"
    )


def _unmatched(name: str, number: int, total: int, created_by: str, match: Match) -> Notification:
    """Why layer ``number`` maps to no line: no instruction fits, or several fit."""
    shown = " ".join(created_by.split())[:120]
    if match.candidates:
        lines = ", ".join(str(line) for line in match.candidates)
        return Notification(
            Level.NOTE,
            "dockerfile.ambiguous",
            f"{name}: layer {number}/{total} ({shown}) fits lines {lines} equally; its findings "
            "stay at their image paths",
        )
    return Notification(
        Level.WARNING,
        "dockerfile.unmatched",
        f"{name}: layer {number}/{total} ({shown}) matches no instruction; its findings stay "
        "at their image paths",
    )
