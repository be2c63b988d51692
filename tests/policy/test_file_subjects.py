"""The ``{file: [GLOB, ...]}`` subject: parsing in packs and one subject per matching object."""

from __future__ import annotations

import pytest
from builders import File, Symlink
from scenarios import build

from analyzer.collectors.files import TreeFileIndex
from analyzer.errors import RuleError
from analyzer.facts import FILES
from analyzer.facts.files import FileInfo
from analyzer.model import Fact, FactStore, Location, Outcome
from analyzer.policy.leaf import SubjectKind, Undetermined
from analyzer.policy.loader import parse_pack
from analyzer.policy.subjects import SubjectSpec, no_subjects, subjects_for

PACK = """\
schema: 1
pack: demo
rules:
  - id: demo.file
    title: File
    level: note
    help: remove it
    message: "{detail}"
    subject: {subject}
    check:
      {check}
"""


def pack(subject: str, check: str = "file: {expect: absent}") -> str:
    return PACK.replace("{subject}", subject).replace("{check}", check)


def test_a_file_subject_names_its_globs() -> None:
    (rule,) = parse_pack(pack('{file: [/etc/a, "/etc/b*", "/srv/with space"]}'), "pack.yaml")
    assert rule.subject == SubjectSpec(SubjectKind.FILE, ("/etc/a", "/etc/b*", "/srv/with space"))


def test_a_single_glob_and_the_older_string_form_are_read_too() -> None:
    (single,) = parse_pack(pack("{file: /etc/a}"), "pack.yaml")
    (older,) = parse_pack(pack('"file: /etc/a /etc/b*"'), "pack.yaml")
    assert single.subject == SubjectSpec(SubjectKind.FILE, ("/etc/a",))
    assert older.subject == SubjectSpec(SubjectKind.FILE, ("/etc/a", "/etc/b*"))


@pytest.mark.parametrize(
    ("subject", "error"),
    [
        ("file", "pack.yaml:9: rule 'demo.file': subject 'file' needs globs:"
         " {file: [/absolute/glob, ...]}"),
        ("{file: []}", "pack.yaml:9: rule 'demo.file': 'file' is a non-empty list, each an"
         " absolute in-image path"),
        ('"file:  "', "pack.yaml:9: rule 'demo.file': 'file' is a non-empty list, each an"
         " absolute in-image path"),
        ("{file: [etc/x]}", "pack.yaml:9: rule 'demo.file': 'file' is an absolute in-image"
         " path, not 'etc/x'"),
        ("{files: [/x]}", "pack.yaml:9: rule 'demo.file': unknown subject 'files' (binary,"
         " file, image, kernel)"),
        ('"image: /x"', "pack.yaml:9: rule 'demo.file': unknown subject 'image' (binary, file,"
         " image, kernel)"),
        ("[/x]", "pack.yaml:9: rule 'demo.file': 'subject' is a kind (binary, file, image,"
         " kernel) or a mapping such as {file: [/etc/x]}"),
    ],
    ids=["no-parameter", "no-glob", "no-glob-string", "relative", "unknown-kind",
         "image-with-parameter", "list"],
)  # fmt: skip
def test_bad_file_subjects_name_file_and_line(subject: str, error: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_pack(pack(subject), "pack.yaml")
    assert str(caught.value) == error


def test_a_file_leaf_on_the_image_subject_is_rejected() -> None:
    with pytest.raises(RuleError) as caught:
        parse_pack(pack("image"), "pack.yaml")
    assert "check 'file' works on subjects file, not image" in str(caught.value)


def test_an_image_leaf_on_a_file_subject_is_rejected() -> None:
    with pytest.raises(RuleError) as caught:
        parse_pack(pack('"file: /x"', "localhost_resolves: {}"), "pack.yaml")
    expected = "check 'localhost_resolves' works on subjects image, not {file: [/x]}"
    assert expected in str(caught.value)


def test_bad_file_expectation() -> None:
    with pytest.raises(RuleError) as caught:
        parse_pack(pack('"file: /x"', "file: {expect: gone}"), "pack.yaml")
    assert "file: 'expect': 'gone' is not one of absent, empty" in str(caught.value)


def test_subjects_are_each_match_once_sorted_with_their_location() -> None:
    tree = build(
        {
            "etc/ssh/ssh_host_rsa_key": File("k", mode=0o600),
            "etc/ssh/ssh_host_ed25519_key": File("k", mode=0o600),
            "etc/ssh/ssh_host_rsa_key.pub": "pub",
            "etc/alt/ssh": Symlink("/etc/ssh"),
        }
    )
    facts = FactStore.one(FILES, Fact.present(TreeFileIndex(tree)))
    subjects = subjects_for(
        SubjectSpec(SubjectKind.FILE, ("/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key")),
        facts,
    )
    assert isinstance(subjects, list)
    assert [(s.kind, s.key, s.location.path) for s in subjects] == [
        ("file", "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key"),
        ("file", "/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key"),
    ]
    assert subjects[0].location.layer == "test"


def test_no_match_passes_at_the_directory_of_the_glob_with_its_layer() -> None:
    tree = build({"etc/ssh/sshd_config": "PermitRootLogin no\n"})
    facts = FactStore.one(FILES, Fact.present(TreeFileIndex(tree)))
    spec = SubjectSpec(SubjectKind.FILE, ("/etc/ssh/ssh_host_*_key", "/root/.ssh/id_*"))
    assert subjects_for(spec, facts) == []
    assert no_subjects(spec, facts) == (
        Outcome.PASS,
        "no file matches /etc/ssh/ssh_host_*_key /root/.ssh/id_*",
        Location("/etc/ssh", layer="test"),
    )


def test_a_dangling_link_is_a_subject_located_at_the_link() -> None:
    tree = build({"var/lib/cloud/instance": Symlink("/var/lib/cloud/instances/gone")})
    facts = FactStore.one(FILES, Fact.present(TreeFileIndex(tree)))
    subjects = subjects_for(SubjectSpec(SubjectKind.FILE, ("/var/lib/cloud/instance",)), facts)
    assert isinstance(subjects, list)
    (subject,) = subjects
    assert subject.location.path == "/var/lib/cloud/instance"
    assert isinstance(subject.value, FileInfo)
    assert subject.value.describe() == (
        "/var/lib/cloud/instance -> /var/lib/cloud/instances/gone (dangling)"
    )


def test_without_the_index_the_subjects_are_undeterminable() -> None:
    facts = FactStore.one(FILES, Fact.unknown("files collector failed: boom"))
    got = subjects_for(SubjectSpec(SubjectKind.FILE, ("/x",)), facts)
    assert got == Undetermined("files collector failed: boom")
