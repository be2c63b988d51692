"""What collectors ask the pass to keep: in-image globs of small text files and their caps.

Collectors declare :class:`CapturePattern` values; the text capture analyzer keeps the bytes
of every matching file under its cap, so collectors can read them from the tree afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Files larger than this are not captured unless their pattern allows more.
DEFAULT_CAP = 256 * 1024


@dataclass(frozen=True, slots=True)
class CapturePattern:
    """An in-image glob (``*`` matches within a component, ``**`` across) and its size cap."""

    glob: str
    cap: int = DEFAULT_CAP
