"""Parsed rule packs are kept in memory while their files are unchanged, and only then."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzer.errors import RuleError
from analyzer.pipeline import load_all_rules
from analyzer.policy.rule import Rule

PACK = """\
schema: 1
pack: cached
defaults:
  profiles: [cached]
rules:
  - id: cached.one
    title: {title}
    level: warning
    help: fix it
    message: "broken"
    check:
      localhost_resolves: {{}}
"""


def _mine(rules: list[Rule]) -> Rule:
    [rule] = [r for r in rules if r.id == "cached.one"]
    return rule


def test_unchanged_packs_are_parsed_once(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK.format(title="First"))
    first, second = load_all_rules([str(pack)]), load_all_rules([str(pack)])
    assert _mine(first) is _mine(second)
    assert first == second
    assert first is not second, "each caller gets its own list"


def test_an_edited_pack_is_parsed_again(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK.format(title="First"))
    before = _mine(load_all_rules([str(pack)]))
    pack.write_text(PACK.format(title="Second, longer"))
    after = _mine(load_all_rules([str(pack)]))
    assert after.info.title == "Second, longer"
    assert before.info.title == "First"


def test_same_size_edit_with_a_new_mtime_is_parsed_again(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK.format(title="AAAA"))
    stat = pack.stat()
    load_all_rules([str(pack)])
    pack.write_text(PACK.format(title="BBBB"))
    os.utime(pack, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert _mine(load_all_rules([str(pack)])).info.title == "BBBB"


def test_a_bad_pack_fails_every_time(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK.format(title="First").replace("level: warning", "level: fatal"))
    for _ in range(2):
        with pytest.raises(RuleError, match=r"pack\.yaml:8: rule 'cached\.one': unknown level"):
            load_all_rules([str(pack)])


def test_a_missing_pack_is_reported_not_cached(tmp_path: Path) -> None:
    with pytest.raises(RuleError):
        load_all_rules([str(tmp_path / "absent.yaml")])
