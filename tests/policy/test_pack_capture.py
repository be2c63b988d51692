"""A pack's ``capture:`` section: the pass keeps declared files' bytes for leaves, under a cap."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import pytest
from builders import File, Symlink, make_tree, to_tar

from analyzer.errors import RuleError
from analyzer.facts import FILES
from analyzer.model import FactId, Facts, Level, Outcome, RunResult, TargetKind
from analyzer.pipeline import Config, analyze
from analyzer.policy.engine import evaluate
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind
from analyzer.policy.loader import parse_pack
from analyzer.policy.params import NO_PARAMS, ParamSpec
from analyzer.policy.rule import LeafCheck

PACK = """\
schema: 1
pack: acme
capture:
  paths: [/opt/app/app.conf, "/opt/app/conf.d/*.conf", /opt/app/link.conf]
  max_bytes: 1000
defaults: {profiles: [acme], help: fix it, message: "{subject}: {detail}"}
rules:
  - id: acme.app.config
    title: app configuration
    level: error
    subject: {file: [/opt/app/app.conf, "/opt/app/conf.d/*.conf", /opt/app/link.conf]}
    check: {file: {expect: absent}}
"""

SECRET = "listen 127.0.0.1\nmode strict\n"


@dataclasses.dataclass(frozen=True)
class FirstLine:
    """Passes with the first line of the subject file's captured content."""

    key: ClassVar[str] = "first_line"
    needs: ClassVar[tuple[FactId, ...]] = (FILES,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.FILE,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        index = facts.value(FILES)
        assert index is not None
        content = index.content(subject.key)
        if content.text is None:
            return LeafResult(Outcome.UNKNOWN, content.problem, content.location)
        return LeafResult(Outcome.PASS, content.text.splitlines()[0], content.location)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    """A tar archive (a stream: nothing can be re-read after the pass) scanned with the pack."""
    where = tmp_path_factory.mktemp("capture")
    tree = make_tree(
        {
            "opt/app/app.conf": File(SECRET),
            "opt/app/conf.d/big.conf": File("x" * 2000),
            "opt/app/link.conf": Symlink("/srv/real.conf"),
            "srv/real.conf": File("real\n"),
            "opt/app/other.txt": File("not declared\n"),
        }
    )
    pack = where / "acme.yaml"
    pack.write_text(PACK)
    target = to_tar(tree, where / "rootfs.tar")
    result = analyze(Config(str(target), profiles=("acme",), rule_files=(str(pack),)))
    return result, pack


def _content_results(result: RunResult, pack: Path) -> dict[str, tuple[Outcome, str]]:
    (rule,) = parse_pack(pack.read_text(), str(pack))
    reading = dataclasses.replace(rule, check=LeafCheck(FirstLine()))
    found = evaluate([reading], result.facts, TargetKind.ROOTFS, [])
    return {e.subject: (e.outcome, e.message) for e in found}


def test_declared_file_bytes_reach_a_leaf(scanned: tuple[RunResult, Path]) -> None:
    results = _content_results(*scanned)
    assert results["/opt/app/app.conf"] == (Outcome.PASS, "listen 127.0.0.1")


def test_file_over_the_cap_is_reported_not_truncated(scanned: tuple[RunResult, Path]) -> None:
    result, pack = scanned
    results = _content_results(result, pack)
    assert results["/opt/app/conf.d/big.conf"] == (
        Outcome.UNKNOWN,
        "2000 bytes, over the capture cap of 1000 bytes (not read)",
    )
    (note,) = [n for n in result.notifications if n.code == "capture.capped"]
    assert note.level is Level.WARNING
    assert note.message == (
        "/opt/app/conf.d/big.conf: 2000 bytes, over the capture cap of 1000 bytes;"
        " rules that read it are unknown"
    )
    assert note.location is not None and note.location.path == "/opt/app/conf.d/big.conf"


def test_link_whose_target_is_not_declared_says_so(scanned: tuple[RunResult, Path]) -> None:
    results = _content_results(*scanned)
    outcome, message = results["/opt/app/link.conf"]
    assert outcome is Outcome.UNKNOWN
    assert message == "content not kept during the pass (declare the link's target in 'capture:')"


def test_undeclared_file_is_not_read(scanned: tuple[RunResult, Path]) -> None:
    index = scanned[0].facts.value(FILES)
    assert index is not None
    content = index.content("/opt/app/other.txt")
    assert (content.data, content.problem) == (None, "no rule pack declares it in 'capture:'")
    assert content.location.path == "/opt/app/other.txt"


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ("capture: {paths: [etc/x]}", "t.yaml:3: capture: 'paths' is an absolute in-image path"),
        (
            "capture: {paths: [/x], max_bytes: 0}",
            "t.yaml:3: capture: 'max_bytes' is from 1 to 16777216, not 0",
        ),
        ("capture: {path: [/x]}", "t.yaml:3: capture: unknown parameter 'path'"),
        ("capture: [/x]", "t.yaml:3: capture: 'capture' is a mapping with 'paths'"),
    ],
)
def test_bad_capture_section_names_the_line(section: str, error: str) -> None:
    text = PACK.replace(PACK[PACK.index("capture:") : PACK.index("defaults:")], section + "\n")
    with pytest.raises(RuleError) as caught:
        parse_pack(text, "t.yaml")
    assert str(caught.value).startswith(error)
