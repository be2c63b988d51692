"""The pass's shortcuts give the same tree as the long way round.

``normalize`` takes clean names without splitting them, and the builder remembers the last
parent directory (archives list siblings together). Each scenario here is one where a shortcut
could go wrong: odd names, and a remembered directory that a later entry replaced or whited
out, so that the next sibling must land in the new directory.
"""

from __future__ import annotations

import itertools

import pytest

from analyzer.analyzers.text import TextCapture
from analyzer.model import LayerInfo
from analyzer.stream.capture import CapturePattern
from analyzer.stream.entry import Blocks, Entry, Kind, LayerStream
from analyzer.stream.paths import join, normalize, split
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import ResolveError, Tree

CAPTURE = TextCapture([CapturePattern("/**")])


def _reference(name: str) -> str:
    """Normalisation component by component, without shortcuts."""
    parts: list[str] = []
    for part in split(name.split("\0", 1)[0]):
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return join(parts)


def _names() -> list[str]:
    atoms = ["a", ".", "..", "", "b.c", "...", ".wh.x", "x\0y"]
    names = []
    for length in range(1, 5):
        for combo in itertools.product(atoms, repeat=length):
            name = "/".join(combo)
            names += [name, name + "/", "./" + name, "/" + name, name + "//"]
    return names


def test_normalize_agrees_with_the_component_walk_on_every_odd_name() -> None:
    mismatches = [n for n in _names() if normalize(n) != _reference(n)]
    assert mismatches == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("usr/bin/", "/usr/bin", id="trailing-slash"),
        pytest.param("./usr/bin/x", "/usr/bin/x", id="dot-slash"),
        pytest.param("usr/bin//", "/usr/bin", id="two-trailing-slashes"),
        pytest.param("usr/.../x", "/usr/.../x", id="three-dots-is-a-name"),
        pytest.param("usr/..x/y", "/usr/..x/y", id="dotdot-prefix-is-a-name"),
        pytest.param("usr/bin/..", "/usr", id="trailing-dotdot"),
    ],
)
def test_normalize_shortcut_edges(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def _data(entry: Entry) -> Blocks:
    return lambda: iter([b"x"] if entry.size else [])


def _layer(index: int, *entries: Entry) -> LayerStream:
    return LayerStream(
        LayerInfo(f"layer-{index}"), iter([(e, _data(e)) for e in entries]), whiteouts=True
    )


def _file(name: str) -> Entry:
    return Entry(name, Kind.FILE, size=1)


def _build(*layers: LayerStream) -> Tree:
    return TreeBuilder([CAPTURE]).build(layers)


def _missing(tree: Tree, path: str) -> bool:
    try:
        tree.lstat(path)
    except ResolveError:
        return True
    return False


def test_sibling_after_its_directory_became_a_file_lands_in_a_new_directory() -> None:
    tree = _build(_layer(1, _file("etc/a"), _file("etc"), _file("etc/b")))
    assert tree.stat("/etc").is_dir
    assert tree.listdir("/etc") == ["b"]
    assert _missing(tree, "/etc/a")


def test_sibling_after_a_grandparent_became_a_file_lands_in_a_new_directory() -> None:
    tree = _build(_layer(1, _file("usr/lib/a"), _file("usr"), _file("usr/lib/b")))
    assert tree.listdir("/usr/lib") == ["b"]
    assert _missing(tree, "/usr/lib/a")


def test_sibling_after_a_whiteout_of_its_directory_lands_in_a_new_directory() -> None:
    lower = _layer(1, _file("opt/app/old"))
    upper = _layer(2, _file("opt/app/f1"), _file("opt/.wh.app"), _file("opt/app/f2"))
    tree = _build(lower, upper)
    assert tree.listdir("/opt/app") == ["f2"]
    assert _missing(tree, "/opt/app/old")
    assert _missing(tree, "/opt/app/f1")


def test_sibling_after_an_opaque_whiteout_keeps_only_the_upper_layer() -> None:
    lower = _layer(1, _file("srv/www/old"), _file("srv/www/sub/deep"))
    upper = _layer(2, _file("srv/www/new"), _file("srv/www/.wh..wh..opq"), _file("srv/www/next"))
    tree = _build(lower, upper)
    assert tree.listdir("/srv/www") == ["new", "next"]


def test_siblings_across_layers_use_each_layers_directory() -> None:
    tree = _build(_layer(1, _file("etc/a")), _layer(2, _file("etc/b")))
    assert tree.listdir("/etc") == ["a", "b"]
    assert tree.lstat("/etc/b").layer == "layer-2"
