"""A file's runs are bounded by the file: order, overlap, revisits and the end of the file."""

from __future__ import annotations

import pytest

from analyzer.errors import SourceError
from analyzer.sources.disk.runs import RunCollector


def collector(size: int = 10 * 4096) -> RunCollector:
    return RunCollector("fs.img", "corrupt ext", 4096, size)


def test_contiguous_runs_merge_and_holes_stay_apart() -> None:
    runs = collector()
    runs.add(0, 8192, 2)
    runs.add(2, 16384, 1)  # continues on disk too: merged
    runs.add(3, -1, 2)  # unwritten
    runs.add(6, 4096, 1)
    assert list(runs.runs()) == [(0, 8192, 12288), (12288, -1, 8192), (24576, 4096, 4096)]
    assert len(runs.runs()) == 3


def test_runs_are_clipped_at_the_end_of_the_file() -> None:
    runs = collector(size=5 * 4096 + 1)
    runs.add(4, 40960, 100)
    runs.add(200, 0, 1)  # past the end: dropped
    assert list(runs.runs()) == [(16384, 40960, 8192)]


@pytest.mark.parametrize(
    ("first", "second"), [((5, 0, 2), (6, 81920, 1)), ((5, 0, 2), (0, 8192, 1))]
)
def test_overlapping_or_out_of_order_runs_are_corruption(
    first: tuple[int, int, int], second: tuple[int, int, int]
) -> None:
    runs = collector()
    runs.add(*first)
    with pytest.raises(SourceError) as caught:
        runs.add(*second)
    assert str(caught.value) == (
        f"fs.img: corrupt ext: file map out of order or overlapping at block {second[0]}"
    )


def test_a_tree_block_visited_twice_is_corruption() -> None:
    runs = collector()
    runs.visit(7)
    runs.visit(8)
    with pytest.raises(SourceError, match=r"^fs\.img: corrupt ext: block 7 appears twice"):
        runs.visit(7)
