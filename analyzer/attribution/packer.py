"""Packer templates (HCL2 ``.pkr.hcl`` or JSON): which provisioner wrote an in-image path.

A provisioner leaves a trace of a path when a ``file`` provisioner's ``destination`` is the
path (or a directory above it, written with a trailing ``/``), or when a ``shell``
provisioner's ``inline`` commands or ``script``/``scripts`` text name it (as a word, or a
glob matching it). The last such provisioner in build order is the one that created or last
changed the file; its trace's line (the ``destination`` attribute, the inline command, the
line of the script) is the finding's build step. Script paths are taken relative to the
template's directory. Files too large or unreadable are an error naming them.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from analyzer.attribution.hcl import Block, HclError, parse
from analyzer.errors import UsageError
from analyzer.model import JSON
from analyzer.userfiles import read_user_text

#: Largest template or provisioner script read (bytes).
MAX_BYTES = 1 << 20
_WORD = re.compile(r"[^\s;&|()<>`'\"=]+")
_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True)
class Trace:
    """One place a provisioner names paths: its file, line, text, and the instruction shown."""

    file: str
    line: int
    text: str
    instruction: str
    destination: bool = False


@dataclass(frozen=True, slots=True)
class PackerTemplate:
    """A template's provisioners as traces, in build order.

    ``unread`` names the scripts whose path depends on variables this reader does not know.
    """

    path: str
    traces: tuple[Trace, ...]
    unread: tuple[str, ...] = ()

    def trace_for(self, path: str) -> Trace | None:
        """The last trace (in build order) that names in-image ``path``."""
        return next((trace for trace in reversed(self.traces) if names(trace, path)), None)


def names(trace: Trace, path: str) -> bool:
    """True when ``trace`` names in-image ``path`` (a destination, a word, or a glob)."""
    if trace.destination:
        target = trace.text
        return target == path or (target.endswith("/") and path.startswith(target))
    for word in _WORD.findall(trace.text):
        if not word.startswith("/"):
            continue
        if word.rstrip("/") == path or (_GLOB.search(word) and fnmatch.fnmatchcase(path, word)):
            return True
    return False


def read_template(path: str) -> PackerTemplate:
    """Read a Packer template (JSON when it parses as JSON, HCL2 otherwise)."""
    text = read_user_text(path, MAX_BYTES, "Packer template")
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{path}: not a JSON Packer template: {exc}") from exc
        if not isinstance(document, dict):
            raise UsageError(f"{path}: not a JSON Packer template")
        traces = list(_json_traces(path, text, document))
    else:
        try:
            traces = list(_hcl_traces(path, parse(text)))
        except HclError as exc:
            raise UsageError(f"{path}: {exc}") from exc
    unread = tuple(trace.text for trace in traces if not trace.instruction)
    return PackerTemplate(path, tuple(t for t in traces if t.instruction), unread)


def _hcl_traces(path: str, blocks: tuple[Block, ...]) -> Iterator[Trace]:
    for build in (b for b in blocks if b.type == "build"):
        for block in build.blocks:
            if block.type != "provisioner" or not block.labels:
                continue
            kind = block.labels[0]
            shown = f'provisioner "{kind}"'
            attrs = {name: value.strings for name, (_, value) in block.attributes.items()}
            lines = {name: line for name, (line, _) in block.attributes.items()}
            if kind == "file":
                for text, _ in attrs.get("destination", ()):
                    yield Trace(path, lines["destination"], text, shown, destination=True)
            elif kind == "shell":
                for text, line in attrs.get("inline", ()):
                    yield Trace(path, line, text, shown)
                for name in ("script", "scripts"):
                    for script, _ in attrs.get(name, ()):
                        yield from _script_traces(path, script, shown)


def _json_traces(path: str, text: str, document: Mapping[str, JSON]) -> Iterator[Trace]:
    provisioners = document.get("provisioners")
    if not isinstance(provisioners, list):
        return
    cursor = 0
    for item in provisioners:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        shown = f'provisioner "{kind}"'
        cursor = max(cursor, text.find('"type"', cursor))
        destination = item.get("destination")
        if kind == "file" and isinstance(destination, str):
            line = _line_of(text, json.dumps(destination), cursor)
            yield Trace(path, line, destination, shown, destination=True)
        elif kind == "shell":
            for command in _strings(item.get("inline")):
                yield Trace(path, _line_of(text, json.dumps(command), cursor), command, shown)
            for script in _strings(item.get("script")) + _strings(item.get("scripts")):
                yield from _script_traces(path, script, shown)
        cursor += len('"type"')


def _strings(value: JSON) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _line_of(text: str, needle: str, start: int) -> int:
    """The 1-based line where ``needle`` first appears at or after ``start`` (else ``start``)."""
    found = text.find(needle, start)
    return text.count("\n", 0, found if found >= 0 else start) + 1


#: How templates name their own directory: HCL2's ``path.root``, JSON's ``template_dir``.
TEMPLATE_DIR = ("${path.root}", "{{template_dir}}", "{{ template_dir }}")


def _script_traces(template: str, script: str, shown: str) -> Iterator[Trace]:
    """One trace per line of a provisioner script (relative to the template's directory).

    A path that still holds a variable is not read: it yields one trace with
    ``instruction`` empty, which the template lists as unread.
    """
    relative = script
    for token in TEMPLATE_DIR:
        relative = relative.replace(token, ".")
    if "${" in relative or "{{" in relative:
        yield Trace(template, 0, script, "")
        return
    where = Path(template).parent / relative
    text = read_user_text(where, MAX_BYTES, "provisioner script")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith("#"):
            yield Trace(str(where), number, line, f"{shown} script {script}")
