"""File content for leaves written as data: the files that rule packs declared in ``capture:``.

A pack's ``capture:`` globs join the pass's capture plan (:mod:`analyzer.pipeline`), so the
bytes of each matching file up to the pack's cap are kept. :func:`read_content` answers a leaf
with the bytes, or with why there are none: the path is missing or not a file, no pack
declared it, it is larger than the cap (never cut short), or its content was not kept during
the pass (a link whose target no capture glob names, on a source that cannot re-read).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.facts.files import FileContent
from analyzer.model import Level, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.stream.paths import glob_regex
from analyzer.vfs.tree import NotCaptured, ResolveError, Tree


def cap_for(captures: Iterable[CapturePattern], *paths: str) -> int | None:
    """The largest cap of the captures whose glob matches any of ``paths`` (``None``: none)."""
    caps = [
        capture.cap
        for capture in captures
        if any(re.match(glob_regex(capture.glob) + r"\Z", path, re.S) for path in paths)
    ]
    return max(caps) if caps else None


def read_content(tree: Tree, captures: tuple[CapturePattern, ...], path: str) -> FileContent:
    """The content of ``path`` (links followed) as far as the packs' captures allow."""
    try:
        found = tree.resolve(path)
    except ResolveError as exc:
        return FileContent(path, None, tree.location(path), exc.reason.replace("_", " "))
    location = tree.location(path)
    node = found.node
    if not node.is_file:
        return FileContent(path, None, location, f"is not a regular file ({node.kind.value})")
    cap = cap_for(captures, path, found.real_path)
    if cap is None:
        return FileContent(path, None, location, "no rule pack declares it in 'capture:'")
    if node.size > cap:
        problem = f"{node.size} bytes, over the capture cap of {cap} bytes (not read)"
        return FileContent(path, None, location, problem)
    try:
        return FileContent(path, tree.read(path), location)
    except NotCaptured:
        problem = "content not kept during the pass (declare the link's target in 'capture:')"
        return FileContent(path, None, location, problem)


def capped_files(tree: Tree, captures: tuple[CapturePattern, ...]) -> list[Notification]:
    """A warning for each declared file over its cap, so that no capped file goes unnoticed."""
    paths = sorted({path for capture in captures for path in tree.glob(capture.glob)})
    notes = []
    for path in paths:
        try:
            node = tree.stat(path)
        except ResolveError:
            continue
        cap = cap_for(captures, path) or 0
        if node.is_file and node.size > cap:
            message = (
                f"{path}: {node.size} bytes, over the capture cap of {cap} bytes;"
                " rules that read it are unknown"
            )
            notes.append(
                Notification(Level.WARNING, "capture.capped", message, tree.location(path))
            )
    return notes
