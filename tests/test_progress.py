"""Progress snapshots the library hands to ``Config.progress`` (it never draws them itself)."""

from __future__ import annotations

from pathlib import Path

from builders import make_tree, to_tar

from analyzer.pipeline import Config, analyze
from analyzer.progress import EVERY_ENTRIES, Progress, Stage

FILES = 2 * EVERY_ENTRIES + 10
SIZE = 7


def test_snapshots_follow_the_pass_then_the_stages(tmp_path: Path) -> None:
    spec = {f"srv/f{i:04}": "x" * SIZE for i in range(FILES)}
    archive = to_tar(make_tree(spec), tmp_path / "root.tar")
    seen: list[Progress] = []
    result = analyze(Config(str(archive), profiles=("golden-image",), progress=seen.append))
    assert result.target.reference == str(archive)
    reading = [p for p in seen if p.stage is Stage.READING]
    assert [p.stage for p in seen[len(reading) :]] == [Stage.COLLECTING, Stage.EVALUATING]
    assert reading[0] == Progress(Stage.READING, 0, 0, f"archive {archive}", 1)
    entries = [p.entries for p in reading]
    assert entries == sorted(entries)
    assert entries[1:3] == [EVERY_ENTRIES, 2 * EVERY_ENTRIES]
    last = reading[-1]
    assert last.file_bytes == FILES * SIZE
    assert last.entries == entries[-1] > FILES  # the files and their directories
    assert seen[-1] == Progress(Stage.EVALUATING, last.entries, last.file_bytes)
