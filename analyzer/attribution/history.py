"""Map an image's history (``created_by`` lines) to the Dockerfile instructions that wrote them.

The history is read as both builders write it: the classic builder's ``/bin/sh -c #(nop)
COPY file:<hash> in /dst``, ``/bin/sh -c CMD`` and ``|2 A=1 B=2 /bin/sh -c CMD`` (the build
arguments in effect), and BuildKit's ``RUN /bin/sh -c CMD # buildkit``, ``COPY src /dst #
buildkit`` and ``ENV A=b`` (metadata instructions carry no suffix). Each entry is compared
with each instruction of the final stage (and the stages it builds on): the same command or
arguments match exactly, the same kind and destination only weakly. The best
order-preserving alignment (dynamic programming) decides; history before the first matched
entry is the base image, which maps to the ``FROM`` line. A layer with no match, or whose
match another unused instruction fits as well, is not attributed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.attribution.dockerfile import Dockerfile, Instruction, Stage, declared_args
from analyzer.attribution.words import Scope, exec_form, expand, split_words, squeeze

EXACT, WEAK = 3, 1
#: Instructions whose arguments the builder expands.
EXPANDED = frozenset(
    ("ADD", "COPY", "ENV", "ARG", "WORKDIR", "USER", "LABEL", "EXPOSE", "VOLUME", "STOPSIGNAL")
)
#: Instruction keywords as BuildKit starts its history lines with them (metadata-only
#: instructions without the ``# buildkit`` suffix); a classic builder line never starts so.
KEYWORDS = frozenset(
    ("RUN", "COPY", "ADD", "WORKDIR", "ENV", "ARG", "LABEL", "USER", "CMD", "ENTRYPOINT",
     "EXPOSE", "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "ONBUILD", "MAINTAINER")
)  # fmt: skip
_NOP = "#(nop)"
_BUILDKIT = "# buildkit"
_CLASSIC_COPY = re.compile(r"^(COPY|ADD) (\S+) in (.+?)\s*$")
_ARGS_PREFIX = re.compile(r"^\|(\d+)\s")
#: Leading options of a BuildKit ``RUN`` line (``--mount=...``, ``--network=none``).
_FLAGS = re.compile(r"^(?:--[a-z-]+(?:=\S*)?\s+)+")


@dataclass(frozen=True, slots=True)
class Entry:
    """One history line, read: the instruction kind, its text, and build arguments it shows."""

    kind: str
    text: str
    empty: bool
    args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Expected:
    """What an instruction leaves in the history: kind, exact texts, weak keys.

    ``keys`` are a copy's destination (absolute, and as written) or a heredoc ``RUN``'s
    first line: what a history line that does not repeat the instruction still shows.
    """

    instruction: Instruction
    kind: str
    texts: frozenset[str]
    keys: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Match:
    """The instruction a layer maps to; ``base`` for the ``FROM`` image's layers.

    ``instruction`` is ``None`` when the layer maps to no line; ``candidates`` then lists the
    lines that fit equally (ambiguous) or is empty (no instruction fits).
    """

    instruction: Instruction | None
    base: bool = False
    candidates: tuple[int, ...] = ()


def read_entry(created_by: str | None, empty: bool) -> Entry:
    """Classify one ``created_by`` line (either builder's form)."""
    text = (created_by or "").strip()
    if text.endswith(_BUILDKIT):
        text = text[: -len(_BUILDKIT)].rstrip()
    keyword, _, rest = text.partition(" ")
    if keyword in KEYWORDS:
        if keyword != "RUN":
            return Entry(keyword, squeeze(rest), empty)
        text = _FLAGS.sub("", rest.strip())
    args: list[tuple[str, str]] = []
    prefix = _ARGS_PREFIX.match(text)
    if prefix:
        words = text[prefix.end() :].split(" ")
        count = int(prefix.group(1))
        for word in words[:count]:
            name, _, value = word.partition("=")
            args.append((name, value))
        text = " ".join(words[count:])
    for shell in ("/bin/sh -c ", "/bin/bash -c ", "cmd /S /C "):
        if text.startswith(shell):
            text = text[len(shell) :]
            break
    if text.startswith(_NOP):
        keyword, _, rest = text[len(_NOP) :].strip().partition(" ")
        return Entry(keyword.upper(), squeeze(rest), empty, tuple(args))
    return Entry("RUN", squeeze(text), empty, tuple(args))


def _dest(path: str, workdir: str) -> str:
    """A destination made absolute against ``workdir``, without a trailing slash."""
    joined = posixpath.normpath(posixpath.join(workdir, path))
    return joined if joined != "//" else "/"


def expectations(chain: Sequence[Stage], learned: Scope, base: Scope) -> list[Expected]:
    """What each instruction of ``chain`` (root stage first) should leave in the history."""
    found: list[Expected] = []
    for stage in chain:
        scope, workdir = Scope(), "/"
        for instruction in stage.instructions:
            kind = instruction.keyword
            text = instruction.args
            if kind in EXPANDED:
                text = expand(text, scope)
            if kind == "ARG":
                declared = declared_args(instruction, scope)
                scope = scope.with_values(
                    {
                        k: learned.values.get(k) or v or base.values.get(k)
                        for k, v in declared.items()
                    }
                )
            elif kind == "ENV":
                scope = scope.with_values(_env(text))
            elif kind == "WORKDIR":
                workdir = _dest(text.strip(), workdir)
            texts, keys = {squeeze(text), squeeze(instruction.text)}, set()
            if kind == "RUN":
                form = exec_form(text)
                texts = {squeeze(" ".join(form))} if form else {squeeze(text)}
                if instruction.heredocs:
                    keys.add(squeeze(text.splitlines()[0]))
            elif kind in ("COPY", "ADD"):
                words = exec_form(text) or split_words(text)
                texts.add(squeeze(" ".join(words)))
                if words:
                    keys.update((_dest(words[-1], workdir), words[-1].rstrip("/") or "/"))
            found.append(Expected(instruction, kind, frozenset(texts), frozenset(keys)))
    return found


def _env(text: str) -> dict[str, str | None]:
    words = split_words(text)
    if len(words) >= 2 and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return {name: value for name, _, value in (w.partition("=") for w in words)}


def score(entry: Entry, expected: Expected) -> int:
    """How well a history entry fits an instruction: :data:`EXACT`, :data:`WEAK` or 0."""
    if entry.kind != expected.kind:
        return 0
    if entry.text in expected.texts:
        return EXACT
    if entry.kind in ("COPY", "ADD"):
        classic = _CLASSIC_COPY.match(f"{entry.kind} {entry.text}")
        words = [w for w in split_words(entry.text) if not w.startswith("--")]
        dest = classic.group(3) if classic else (words[-1] if words else "")
        flagless = squeeze(" ".join(words))
        if not classic and flagless in expected.texts:
            return EXACT
        if dest.startswith("/"):
            dest = _dest(dest, "/")
        return WEAK if dest and (dest.rstrip("/") or "/") in expected.keys else 0
    if entry.kind == "RUN":
        return WEAK if any(entry.text.startswith(key) for key in expected.keys) else 0
    return WEAK


def align(entries: Sequence[Entry], wanted: Sequence[Expected]) -> tuple[int, dict[int, int]]:
    """The order-preserving matching of entries to instructions with the highest total score.

    Among equally good matchings, the one with the latest entries wins: an instruction of the
    stage matches its own layer rather than a like one of the base image below it.
    """
    rows, cols = len(entries), len(wanted)
    best = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            fit = score(entries[i], wanted[j])
            take = best[i + 1][j + 1] + fit if fit else 0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    pairs: dict[int, int] = {}
    i = j = 0
    while i < rows and j < cols:
        fit = score(entries[i], wanted[j])
        if best[i][j] == best[i + 1][j]:
            i += 1
        elif fit and best[i][j] == best[i + 1][j + 1] + fit:
            pairs[i] = j
            i, j = i + 1, j + 1
        else:
            j += 1
    return best[0][0], pairs


def chain_of(dockerfile: Dockerfile, stage: Stage) -> list[Stage]:
    """``stage`` and the stages it is built ``FROM``, root first (a cycle stops the walk)."""
    chain = [stage]
    while (parent := dockerfile.stage_named(chain[0].base)) is not None:
        if parent in chain or parent.index >= chain[0].index:
            break
        chain.insert(0, parent)
    return chain


def map_layers(dockerfile: Dockerfile, history: Sequence[Entry]) -> list[Match]:
    """One :class:`Match` per layer (non-empty history entry), for the best-fitting stage."""
    learned = Scope(dict(arg for entry in history for arg in entry.args))
    base = Scope({k: v for k, v in dockerfile.global_args.items()})
    tries = []
    for stage in dockerfile.stages:
        chain = chain_of(dockerfile, stage)
        wanted = expectations(chain, learned, base)
        total, pairs = align(history, wanted)
        tries.append((total, stage.index, chain, wanted, pairs))
    _, _, chain, wanted, pairs = max(tries, key=lambda t: (t[0], t[1]))
    first = min(pairs, default=len(history))
    used = set(pairs.values())
    matches: list[Match] = []
    for position, entry in enumerate(history):
        if entry.empty:
            continue
        if position < first:
            matches.append(Match(chain[0].start, base=True))
        elif position in pairs:
            target = wanted[pairs[position]]
            fit = score(entry, target)
            rivals = tuple(
                other.instruction.line
                for index, other in enumerate(wanted)
                if index not in used and score(entry, other) >= fit
            )
            matches.append(
                Match(None, candidates=(target.instruction.line, *rivals))
                if rivals
                else Match(target.instruction)
            )
        else:
            matches.append(Match(None))
    return matches
