"""Reading captured text files from the tree, with the states a collector must tell apart."""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.vfs.tree import NotCaptured, ResolveError, Tree

#: ``TextFile.problem`` when the file exists but its content was not kept during the pass.
NOT_CAPTURED = "content not captured"


@dataclass(frozen=True, slots=True)
class TextFile:
    """A text file's lines (``None`` when it is missing or unreadable) and why."""

    path: str
    lines: list[str] | None
    problem: str = ""

    @property
    def present(self) -> bool:
        """True when the file was read."""
        return self.lines is not None


def read_lines(tree: Tree, path: str) -> TextFile:
    """Lines of ``path`` (links followed inside the image), decoded leniently as UTF-8."""
    try:
        data = tree.read(path)
    except ResolveError as exc:
        return TextFile(path, None, exc.reason)
    except NotCaptured:
        return TextFile(path, None, NOT_CAPTURED)
    return TextFile(path, data.decode("utf-8", "replace").splitlines())
