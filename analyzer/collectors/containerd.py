"""containerd configuration snippets that k0s merges: ``/etc/k0s/containerd.d/*.toml``.

k0s (bundling containerd 2) rejects a snippet that does not parse as TOML, whose ``version``
is present but not the integer 3, or that configures the old CRI plugin table
``[plugins."io.containerd.grpc.v1.cri"]``. Each problem keeps the line it was found on.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

from analyzer.collectors.base import CollectContext
from analyzer.facts import CONTAINERD_SNIPPETS
from analyzer.facts.containerd import Snippet, SnippetProblem
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import NotCaptured, ResolveError, Tree

SNIPPETS = "/etc/k0s/containerd.d/*.toml"
CRI_PLUGIN = "io.containerd.grpc.v1.cri"
SUPPORTED_VERSION = 3
_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_VERSION_KEY = re.compile(r"^\s*version\s*=")
_HEADER = re.compile(r"^\s*\[")
_CRI = re.compile(r"""["']io\.containerd\.grpc\.v1\.cri["']""")


def check_snippet(tree: Tree, path: str, text: str) -> tuple[SnippetProblem, ...]:
    """The reasons k0s would reject ``text`` (empty when it accepts it)."""
    lines = text.splitlines()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _AT_LINE.search(str(exc))
        line = int(found.group(1)) if found else None
        return (SnippetProblem(f"not valid TOML: {exc}", tree.location(path, line)),)
    problems = []
    if "version" in data:
        version = data["version"]
        line = _first_line(lines, _VERSION_KEY, top_level=True)
        if not isinstance(version, int) or isinstance(version, bool):
            message = f"unexpected type for version field ({type(version).__name__})"
            problems.append(SnippetProblem(message, tree.location(path, line)))
        elif version != SUPPORTED_VERSION:
            expected = SUPPORTED_VERSION
            message = f"unsupported configuration version: expected {expected}, got {version}"
            problems.append(SnippetProblem(message, tree.location(path, line)))
    plugins = data.get("plugins")
    if isinstance(plugins, Mapping) and CRI_PLUGIN in plugins:
        line = _first_line(lines, _CRI, top_level=False)
        message = f'configures the old CRI plugin [plugins."{CRI_PLUGIN}"]'
        problems.append(SnippetProblem(message, tree.location(path, line)))
    return tuple(problems)


def _first_line(lines: list[str], pattern: re.Pattern[str], top_level: bool) -> int | None:
    for number, line in enumerate(lines, start=1):
        if top_level and _HEADER.match(line):
            return None
        if pattern.search(line.split("#", 1)[0]):
            return number
    return None


class ContainerdSnippetsCollector:
    """Produces the ``containerd_snippets`` fact: every snippet by path (possibly none)."""

    name = "containerd-snippets"
    provides: tuple[FactId, ...] = (CONTAINERD_SNIPPETS,)
    requires: tuple[FactId, ...] = ()
    capture = (CapturePattern(SNIPPETS),)

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Read and check each snippet."""
        del facts, notes
        tree = ctx.tree
        snippets: dict[str, Snippet] = {}
        for path in tree.glob(SNIPPETS):
            location = tree.location(path)
            try:
                data = tree.read(path)
            except (ResolveError, NotCaptured):
                snippets[path] = Snippet(path, location, False)
                continue
            text = data.decode("utf-8", "replace")
            snippets[path] = Snippet(path, location, True, check_snippet(tree, path, text))
        return FactStore.one(CONTAINERD_SNIPPETS, Fact.present(snippets))
