"""Text capture: keeps the bytes of the small files that collectors declared, under caps."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.stream.capture import CapturePattern
from analyzer.stream.entry import ReadAt
from analyzer.stream.paths import glob_regex
from analyzer.stream.records import TEXT, RecordKey
from analyzer.stream.sink import Buffered, Ready, Sink


@dataclass(frozen=True, slots=True)
class Truncated:
    """Record kept for a declared file that was over its cap."""

    size: int
    cap: int


#: The record of a declared file that was over its cap (its bytes are not kept).
TRUNCATED: RecordKey[Truncated] = RecordKey(TEXT.name, Truncated)


def _compile(glob: str) -> re.Pattern[str]:
    return re.compile(glob_regex(glob) + r"\Z", re.S)


class TextCapture:
    """Keeps declared files' bytes as its ``TEXT`` record (a :class:`Truncated` when too big)."""

    name = TEXT.name

    def __init__(self, patterns: Iterable[CapturePattern]) -> None:
        self._patterns = [(_compile(p.glob), p.cap) for p in patterns]
        #: Any declared pattern, in one regular expression (most paths match none).
        self._any = re.compile(
            "|".join(f"(?:{regex.pattern})" for regex, _ in self._patterns) or r"(?!)", re.S
        )

    def _cap(self, path: str) -> int | None:
        caps = [cap for regex, cap in self._patterns if regex.match(path)]
        return max(caps) if caps else None

    def wants(self, path: str, size: int) -> bool:
        """Only declared paths."""
        del size
        return self._any.match(path) is not None

    def open(self, path: str, size: int, head: bytes, read_at: ReadAt | None = None) -> Sink | None:
        """Collect the file, or record that it was over its cap."""
        del read_at
        cap = self._cap(path)
        if cap is None:
            return None
        if size > cap:
            return Ready(Truncated(size, cap))
        return Buffered(head, bytes)
