"""Entry-name normalisation and glob translation: every hostile or odd name stays under ``/``."""

from __future__ import annotations

import re

import pytest

from analyzer.model import LayerInfo
from analyzer.stream.entry import Entry, Kind, LayerStream, no_data
from analyzer.stream.paths import (
    basename,
    component_regex,
    fold,
    glob_regex,
    join,
    normalize,
    parent,
    split,
)
from analyzer.vfs.build import TreeBuilder


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("./etc/", "/etc", id="dot-slash-and-trailing-slash"),
        pytest.param("etc/hosts", "/etc/hosts", id="relative"),
        pytest.param("/abs/x", "/abs/x", id="absolute"),
        pytest.param("../../x", "/x", id="dotdot-above-root"),
        pytest.param("./../../../etc/passwd", "/etc/passwd", id="dot-then-dotdot"),
        pytest.param("a/../b", "/b", id="dotdot-inside"),
        pytest.param("a//b", "/a/b", id="double-slash"),
        pytest.param("a/./b/.", "/a/b", id="dot-components"),
        pytest.param("etc/hosts\0/../../shadow", "/etc/hosts", id="nul-ends-the-name"),
        pytest.param("", "/", id="empty"),
        pytest.param(".", "/", id="dot"),
        pytest.param("/..", "/", id="root-dotdot"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_fold_says_whether_a_dotdot_went_above_the_root() -> None:
    assert fold("/opt/app/lib/../../lib") == ("/opt/lib", False)
    assert fold("/opt/../../lib") == ("/lib", True)
    assert fold("/..") == ("/", True)


def test_split_join_parent_basename() -> None:
    assert split("/a//./b/../c") == ["a", "b", "..", "c"]
    assert join([]) == "/"
    assert join(["a", "b"]) == "/a/b"
    assert parent("/a/b") == "/a"
    assert parent("/a") == "/"
    assert basename("/a/b") == "b"
    assert basename("/") == ""


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("./etc/", "/etc"),
        ("/abs/x", "/abs/x"),
        ("../../x", "/x"),
        ("a/../b", "/b"),
        ("a//b", "/a/b"),
        ("n\0ul", "/n"),
    ],
)
def test_builder_places_odd_names_inside_the_root(raw: str, path: str) -> None:
    kind = Kind.DIR if raw.endswith("/") else Kind.FILE
    layer = LayerStream(LayerInfo("t"), iter([(Entry(raw, kind), no_data)]))
    tree = TreeBuilder([]).build([layer])
    assert tree.lstat(path).kind is kind
    assert [p for p, _ in tree.walk()][-1] == path


@pytest.mark.parametrize(
    ("pattern", "matches", "rejects"),
    [
        ("/etc/*.conf", ["/etc/a.conf", "/etc/.conf"], ["/etc/sub/a.conf", "/etc/a.conf.bak"]),
        ("/etc/host?", ["/etc/hosts"], ["/etc/host", "/etc/hostss"]),
        ("/boot/config-[0-9]*", ["/boot/config-6.1"], ["/boot/config-x"]),
        ("/x/[!a]", ["/x/b"], ["/x/a"]),
        ("/etc/**", ["/etc/a", "/etc/a/b/c"], ["/etc", "/etcx/a"]),
        ("/lib/**/modules.dep", ["/lib/modules.dep", "/lib/m/6.1/modules.dep"], ["/lib/m/x"]),
    ],
)
def test_glob_regex(pattern: str, matches: list[str], rejects: list[str]) -> None:
    regex = re.compile(glob_regex(pattern) + r"\Z")
    for path in matches:
        assert regex.match(path), path
    for path in rejects:
        assert not regex.match(path), path


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("[ab]c", "bc", True),
        ("[!a]c", "ac", False),
        ("[!a]c", "bc", True),
        ("[]]x", "]x", True),
        ("[!]]x", "]x", False),
        ("[!]a]x", "bx", True),
        ("[x", "[x", True),
        ("a*", "a/b", False),
        ("a?c", "a/c", False),
        ("a\\b", "a\\b", True),
    ],
)
def test_component_globs_follow_posix_classes(pattern: str, name: str, matches: bool) -> None:
    assert bool(re.fullmatch(component_regex(pattern), name)) is matches


def test_tree_glob_and_text_capture_agree_on_classes() -> None:
    regex = re.compile(glob_regex("/etc/[!h]*") + r"\Z")
    assert [p for p in ("/etc/hosts", "/etc/fstab") if regex.match(p)] == ["/etc/fstab"]
