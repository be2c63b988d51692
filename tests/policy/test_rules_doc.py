"""The rule-pack guide stays in step with the code: every leaf and subject is documented."""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.policy.leaf import SubjectKind
from analyzer.policy.leaves import LEAVES
from analyzer.policy.loader import parse_pack
from analyzer.policy.subjects import PARAMETRISED, SUBJECTS, SubjectSpec

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_every_leaf_has_a_row_in_the_guide() -> None:
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", GUIDE.read_text(), re.M))
    assert {leaf.key for leaf in LEAVES} <= rows


def test_every_subject_kind_is_in_the_guide() -> None:
    text = GUIDE.read_text()
    for kind in [*SUBJECTS, *PARAMETRISED]:
        assert f"| `{kind}" in text, kind


def test_the_guide_example_is_a_valid_pack() -> None:
    example = GUIDE.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    rules = parse_pack(example, "docs/rules.md")
    assert [rule.id for rule in rules] == ["acme.sshd.present", "acme.ssh.no-host-keys"]
    assert rules[1].subject == SubjectSpec(SubjectKind.FILE, ("/etc/ssh/ssh_host_*_key",))
