"""The ``containerd_snippets`` fact: k0s containerd configuration snippets and their problems."""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.model import Location


@dataclass(frozen=True, slots=True)
class SnippetProblem:
    """Why k0s would reject a snippet, and where (the location's line is ``None`` when unknown)."""

    message: str
    location: Location


@dataclass(frozen=True, slots=True)
class Snippet:
    """One snippet: its location and problems; ``readable`` is false when its bytes were lost."""

    path: str
    location: Location
    readable: bool
    problems: tuple[SnippetProblem, ...] = ()
