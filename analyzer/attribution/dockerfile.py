"""A small, bounded Dockerfile reader: instructions with their lines, grouped into stages.

What it understands is what mapping an image's history back to lines needs: parser
directives (``# escape=``), line continuations (with comment and blank lines inside them
dropped, as the builder does), heredocs (``<<EOF``, ``<<-EOF``, quoted delimiters), stages
(``FROM image [AS name]``), ``ARG`` and ``ENV`` values, and the flags of an instruction
(``COPY --from=build``). Everything else is kept as the instruction's text. A file that is too
large, not UTF-8 or has no ``FROM`` is a :class:`~analyzer.errors.UsageError` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from analyzer.attribution.words import Scope, expand, split_words
from analyzer.errors import UsageError
from analyzer.userfiles import read_user_text

#: Largest Dockerfile read (bytes); real ones are a few kilobytes.
MAX_BYTES = 1 << 20
_DIRECTIVE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_FLAG = re.compile(r"--([a-z][a-z-]*)(?:=(\S*))?$")


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction: its keyword (upper case), text after the keyword, and its lines.

    ``line`` is the 1-based line of the keyword, ``end_line`` the last line it spans
    (continuations and heredoc bodies included); ``flags`` the leading ``--name=value``
    options, ``args`` the text after them; ``heredocs`` the bodies of its here-documents.
    """

    keyword: str
    text: str
    line: int
    end_line: int
    flags: Mapping[str, str] = field(default_factory=dict)
    args: str = ""
    heredocs: tuple[str, ...] = ()

    @property
    def first_line(self) -> str:
        """How the instruction reads on its first line (for messages)."""
        return " ".join(f"{self.keyword} {self.text}".splitlines()[0].split())


@dataclass(frozen=True, slots=True)
class Stage:
    """A build stage: its ``FROM`` instruction, base, optional name, and what follows it."""

    index: int
    base: str
    name: str | None
    start: Instruction
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True, slots=True)
class Dockerfile:
    """A parsed Dockerfile: its stages in order and the ``ARG`` defaults declared before them."""

    path: str
    stages: tuple[Stage, ...]
    global_args: Mapping[str, str | None]

    def stage_named(self, name: str) -> Stage | None:
        """The stage called ``name`` (case-insensitive), or ``None``."""
        for stage in self.stages:
            if stage.name is not None and stage.name.lower() == name.lower():
                return stage
        return None


def read_dockerfile(path: str) -> Dockerfile:
    """Read and parse the Dockerfile at ``path``; raises UsageError for an unusable file."""
    text = read_user_text(path, MAX_BYTES, "Dockerfile")
    return parse_dockerfile(text, path)


def parse_dockerfile(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile ``text``; ``path`` names it in errors and in the result."""
    instructions = list(_instructions(text.splitlines()))
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    current: list[Instruction] = []
    start: Instruction | None = None
    for instruction in instructions:
        if instruction.keyword == "FROM":
            if start is not None:
                stages.append(_stage(len(stages), start, current, global_args))
            start, current = instruction, []
        elif start is None:
            if instruction.keyword != "ARG":
                raise UsageError(
                    f"{path}:{instruction.line}: {instruction.keyword} before the first FROM"
                )
            global_args.update(declared_args(instruction, Scope(global_args)))
        else:
            current.append(instruction)
    if start is None:
        raise UsageError(f"{path}: no FROM instruction; not a Dockerfile")
    stages.append(_stage(len(stages), start, current, global_args))
    return Dockerfile(path, tuple(stages), global_args)


def _stage(
    index: int, start: Instruction, body: list[Instruction], global_args: Mapping[str, str | None]
) -> Stage:
    words = split_words(start.args)
    base = expand(words[0], Scope(global_args)) if words else ""
    name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    return Stage(index, base, name, start, tuple(body))


def declared_args(instruction: Instruction, scope: Scope) -> dict[str, str | None]:
    """``ARG A=1 B`` -> ``{"A": "1", "B": None}`` (defaults expanded in ``scope``)."""
    found: dict[str, str | None] = {}
    for word in split_words(instruction.args):
        name, sep, value = word.partition("=")
        found[name] = expand(value, scope) if sep else None
    return found


def _instructions(lines: list[str]) -> Iterator[Instruction]:
    escape = "\\"
    index = 0
    in_directives = True
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        if in_directives:
            directive = _DIRECTIVE.match(stripped)
            if directive and directive.group(1).lower() == "escape":
                escape = directive.group(2) if directive.group(2) in ("\\", "`") else escape
                index += 1
                continue
            if directive and stripped.startswith("#"):
                index += 1
                continue
            in_directives = False
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        first = index
        logical, index = _logical_line(lines, index, escape)
        keyword, _, rest = logical.strip().partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        bodies: list[str] = []
        if keyword in ("RUN", "COPY", "ADD"):
            for match in _HEREDOC.finditer(rest):
                body, index = _heredoc(lines, index, match.group(3), bool(match.group(1)))
                bodies.append(body)
        flags, args = _flags(rest)
        yield Instruction(keyword, rest, first + 1, index, flags, args, tuple(bodies))


def _logical_line(lines: list[str], index: int, escape: str) -> tuple[str, int]:
    """Join continuation lines from ``index``; the joined text and the index after it."""
    parts: list[str] = []
    while index < len(lines):
        line = lines[index]
        index += 1
        if parts and (not line.strip() or line.lstrip().startswith("#")):
            continue
        body = line.rstrip()
        if body.endswith(escape) and not body.endswith(escape * 2):
            parts.append(body[: -len(escape)])
            continue
        parts.append(line)
        break
    return "".join(parts), index


def _heredoc(lines: list[str], index: int, delimiter: str, strip_tabs: bool) -> tuple[str, int]:
    """The body of a here-document starting at ``index``, and the index after its delimiter."""
    body: list[str] = []
    while index < len(lines):
        line = lines[index]
        index += 1
        if (line.lstrip("\t") if strip_tabs else line) == delimiter:
            break
        body.append(line.lstrip("\t") if strip_tabs else line)
    return "\n".join(body), index


def _flags(rest: str) -> tuple[dict[str, str], str]:
    """Leading ``--name[=value]`` options of an instruction, and the text after them."""
    flags: dict[str, str] = {}
    text = rest
    while text.startswith("--"):
        word, _, after = text.partition(" ")
        match = _FLAG.match(word)
        if match is None:
            break
        flags[match.group(1)] = match.group(2) or ""
        text = after.lstrip()
    return flags, text
