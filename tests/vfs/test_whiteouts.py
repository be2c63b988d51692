"""Layer squashing: whiteouts, opaque directories, replacements and hard links across layers.

One named scenario per rule of :mod:`analyzer.vfs.build`; every scenario checks what must be
gone and what must stay (with the layer that put it there).
"""

from __future__ import annotations

import pytest
from builders import Dir, File, Hardlink, Item, Symlink, make_tree, to_layer

from analyzer.model import Level, Location
from analyzer.stream.entry import Kind
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import ResolveError, Tree


def squash(*layers: dict[str, Item]) -> tuple[Tree, TreeBuilder]:
    builder = TreeBuilder([])
    streams = [
        to_layer(make_tree(spec), f"sha256:layer{index}", whiteouts=True)
        for index, spec in enumerate(layers, start=1)
    ]
    return builder.build(streams), builder


def exists(tree: Tree, path: str) -> bool:
    try:
        tree.lstat(path)
    except ResolveError:
        return False
    return True


def test_whiteout_removes_a_lower_file_and_nothing_else() -> None:
    tree, _ = squash(
        {"bin/mount": File(b"m", mode=0o755), "bin/umount": File(b"u", mode=0o755)},
        {"bin/.wh.mount": ""},
    )
    assert not exists(tree, "/bin/mount")
    assert exists(tree, "/bin/umount")
    assert tree.location("/bin/umount").layer == "sha256:layer1"
    assert not exists(tree, "/bin/.wh.mount")


def test_whiteout_removes_a_lower_directory_with_its_content() -> None:
    tree, _ = squash({"opt/app/bin/tool": "x", "opt/keep": "k"}, {"opt/.wh.app": ""})
    assert not exists(tree, "/opt/app")
    assert not exists(tree, "/opt/app/bin/tool")
    assert exists(tree, "/opt/keep")


def test_opaque_directory_hides_lower_content_but_keeps_its_own_layer() -> None:
    tree, _ = squash(
        {"etc/app/old.conf": "old", "etc/app/sub/deep": "d", "etc/other": "o"},
        {"etc/app/new.conf": "new", "etc/app/.wh..wh..opq": ""},
    )
    assert tree.listdir("/etc/app") == ["new.conf"]
    assert tree.location("/etc/app/new.conf").layer == "sha256:layer2"
    assert exists(tree, "/etc/other")


def test_opaque_marker_after_a_redeclared_subdirectory_still_hides_its_lower_files() -> None:
    tree, _ = squash(
        {"srv/data/old": "old"},
        {"srv/data/new": "new", "srv/data/": Dir(), "srv/.wh..wh..opq": ""},
    )
    assert tree.listdir("/srv/data") == ["new"]


def test_plnk_and_other_double_whiteout_names_are_ignored() -> None:
    tree, _ = squash(
        {"var/lib/file": "f", "var/lib/plnk": "p", "var/lib/opq": "o"},
        {"var/lib/.wh..wh..plnk": "", "var/lib/.wh..wh.opq": "", "var/.wh..wh.lib": ""},
    )
    assert tree.listdir("/var/lib") == ["file", "opq", "plnk"]
    assert not exists(tree, "/var/lib/.wh..wh..plnk")


@pytest.mark.parametrize("name", [".wh.", ".wh..", ".wh..."])
def test_bare_whiteout_names_remove_nothing(name: str) -> None:
    tree, _ = squash({"data/x": "x", "keep": "k"}, {f"data/{name}": ""})
    assert tree.listdir("/data") == ["x"]
    assert exists(tree, "/keep")


def test_whiteout_with_parent_components_is_ignored_with_a_warning() -> None:
    tree, builder = squash({"x": "top", "dir/y": "y"}, {"dir/../.wh.x": "", "dir/../dir/.wh.y": ""})
    assert exists(tree, "/x")
    assert exists(tree, "/dir/y")
    codes = [(n.level, n.code) for n in builder.report.notifications]
    assert codes == [(Level.WARNING, "entry.whiteout")] * 2
    assert "dir/../.wh.x" in builder.report.notifications[0].message


def test_whiteout_never_follows_a_symlinked_directory() -> None:
    tree, _ = squash({"real/secret": "s", "link": Symlink("/real")}, {"link/.wh.secret": ""})
    assert exists(tree, "/real/secret")


def test_whiteout_does_not_hide_a_file_of_its_own_layer() -> None:
    tree, _ = squash({"base": "b"}, {"etc/new": "n", "etc/.wh.new": ""})
    assert exists(tree, "/etc/new")


def test_whiteout_of_a_directory_redeclared_in_the_same_layer_hides_only_lower_content() -> None:
    tree, _ = squash({"app/old": "o"}, {"app/": Dir(), "app/new": "n", ".wh.app": ""})
    assert tree.listdir("/app") == ["new"]


def test_later_layer_replaces_a_directory_with_a_file() -> None:
    tree, _ = squash({"opt/tool/bin": "x"}, {".wh.opt": "", "opt": "now a file"})
    node = tree.lstat("/opt")
    assert node.kind is Kind.FILE
    assert tree.location("/opt").layer == "sha256:layer2"


def test_later_layer_replaces_a_file_with_a_directory() -> None:
    tree, _ = squash({"opt": "a file"}, {"opt/tool": "inside"})
    assert tree.lstat("/opt").kind is Kind.DIR
    assert tree.location("/opt/tool").layer == "sha256:layer2"


def test_hardlink_to_a_file_of_a_lower_layer() -> None:
    tree, builder = squash(
        {"usr/bin/busybox": File(b"bb", mode=0o755)}, {"bin/sh": Hardlink("usr/bin/busybox")}
    )
    node = tree.lstat("/bin/sh")
    assert node.kind is Kind.FILE
    assert node.mode == 0o755
    assert tree.location("/bin/sh").layer == "sha256:layer2"
    assert tree.location("/usr/bin/busybox").layer == "sha256:layer1"
    assert builder.report.notifications == []


def test_hardlink_survives_a_whiteout_of_its_target() -> None:
    tree, _ = squash(
        {"usr/bin/busybox": File(b"bb", mode=0o755), "bin/sh": Hardlink("usr/bin/busybox")},
        {"usr/bin/.wh.busybox": ""},
    )
    assert not exists(tree, "/usr/bin/busybox")
    assert tree.lstat("/bin/sh").kind is Kind.FILE


def test_every_visible_node_remembers_the_layer_that_put_it_there() -> None:
    tree, _ = squash({"etc/a": "1", "etc/b": "1"}, {"etc/b": "2"}, {"etc/c": "3"})
    layers = {path: tree.location(path).layer for path in ("/etc/a", "/etc/b", "/etc/c")}
    assert layers == {
        "/etc/a": "sha256:layer1",
        "/etc/b": "sha256:layer2",
        "/etc/c": "sha256:layer3",
    }


def test_whiteout_names_are_plain_files_outside_container_layers() -> None:
    builder = TreeBuilder([])
    tree = builder.build([to_layer(make_tree({"x": "x", ".wh.x": ""}), "rootfs")])
    assert sorted(tree.listdir("/")) == [".wh.x", "x"]


def test_a_deleted_file_is_attributed_to_the_layer_that_deleted_it() -> None:
    tree, _ = squash(
        {"usr/lib/libz.so.1": "z", "lib": Symlink("usr/lib")},
        {"usr/bin/app": "a"},
        {"usr/lib/.wh.libz.so.1": ""},
    )
    assert tree.deleted_by("/lib/libz.so.1") == ("/usr/lib/libz.so.1", "sha256:layer3")
    assert tree.location("/lib/libz.so.1") == Location("/lib/libz.so.1", layer="sha256:layer3")
    assert tree.deleted_by("/usr/lib/libnever.so") is None
    assert tree.location("/usr/lib/libnever.so").layer is None
    assert tree.deleted_by("/usr/bin/app") is None


def test_a_deleted_directory_is_remembered_once_and_covers_its_content() -> None:
    tree, _ = squash({"opt/app/bin/tool": "x"}, {"opt/.wh.app": ""})
    assert tree.deleted_by("/opt/app/bin/tool") == ("/opt/app", "sha256:layer2")


def test_content_an_opaque_directory_hides_is_attributed_to_its_layer() -> None:
    tree, _ = squash(
        {"etc/app/old.conf": "old", "etc/app/sub/deep": "d"},
        {"etc/app/new.conf": "new", "etc/app/.wh..wh..opq": ""},
    )
    assert tree.deleted_by("/etc/app/old.conf") == ("/etc/app/old.conf", "sha256:layer2")
    assert tree.deleted_by("/etc/app/sub/deep") == ("/etc/app/sub", "sha256:layer2")
    assert tree.deleted_by("/etc/app/new.conf") is None


def test_a_file_deleted_and_added_again_is_attributed_to_the_layer_that_added_it() -> None:
    tree, _ = squash({"etc/motd": "1"}, {"etc/.wh.motd": ""}, {"etc/motd": "3"})
    assert tree.deleted_by("/etc/motd") is None
    assert tree.location("/etc/motd").layer == "sha256:layer3"
