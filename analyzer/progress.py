"""How far a scan has got: snapshots handed to a callback the caller supplies.

The library never draws anything. :func:`~analyzer.pipeline.analyze` calls
``Config.progress`` (when set) with a :class:`Progress` snapshot when the pass starts a layer or
partition, every :data:`EVERY_ENTRIES` entries within it, and when a later stage starts; the
command line turns those snapshots into a progress display on a terminal. A callback must be
quick and must not raise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

#: Entries between two snapshots within one layer (a snapshot costs one call).
EVERY_ENTRIES = 256


class Stage(enum.Enum):
    """What the scan is doing."""

    READING = "reading"
    COLLECTING = "collecting facts"
    EVALUATING = "evaluating rules"


@dataclass(frozen=True, slots=True)
class Progress:
    """One snapshot of a scan.

    ``entries`` and ``file_bytes`` count what the pass has gone through so far, over all
    layers: file-system entries, and the sizes of the regular files among them. ``layer`` names
    the layer or partition being read (its description, or its id), ``layer_index`` counts them
    from 1; both stay at the last layer once the pass is over.
    """

    stage: Stage
    entries: int = 0
    file_bytes: int = 0
    layer: str = ""
    layer_index: int = 0


#: Receives each snapshot; see the module docstring.
ProgressCallback = Callable[[Progress], None]


def ignore(progress: Progress) -> None:
    """The callback used when the caller gave none."""
    del progress
