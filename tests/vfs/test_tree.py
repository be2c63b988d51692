"""The read-only tree: in-root link resolution, lookups, duplicates, hard links, glob, read, walk.

Each edge case is a named scenario built from a declarative tree (``builders.make_tree``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from builders import Dir, File, Hardlink, Item, Symlink, make_tree, to_layer

from analyzer.analyzers.text import TextCapture
from analyzer.model import LayerInfo, Location
from analyzer.stream.capture import CapturePattern
from analyzer.stream.entry import Entry, Kind, LayerStream, no_data
from analyzer.stream.paths import MAX_HOPS
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import NotCaptured, ResolveError, Tree

CAPTURE = TextCapture([CapturePattern("/etc/**")])


def build(spec: Mapping[str, Item]) -> Tree:
    return TreeBuilder([CAPTURE]).build([to_layer(make_tree(spec), "layer-1")])


def build_entries(*entries: tuple[Entry, bytes]) -> Tree:
    stream = ((entry, lambda d=data: iter([d] if d else [])) for entry, data in entries)
    return TreeBuilder([CAPTURE]).build([LayerStream(LayerInfo("raw"), stream)])


def reason(tree: Tree, path: str, follow: bool = True) -> str:
    with pytest.raises(ResolveError) as caught:
        tree.resolve(path, follow=follow)
    return caught.value.reason


MERGED_USR: dict[str, Item] = {
    "bin": Symlink("usr/bin"),
    "lib": Symlink("usr/lib"),
    "sbin": Symlink("/usr/sbin"),
    "usr/bin/dash": File(b"\x7fELF", mode=0o755),
    "usr/bin/sh": Symlink("dash"),
    "usr/sbin/iptables": Symlink("/etc/alternatives/iptables"),
    "etc/alternatives/iptables": Symlink("/usr/sbin/iptables-nft"),
    "usr/sbin/iptables-nft": File(b"", mode=0o755),
    "usr/lib/x86_64-linux-gnu/libc.so.6": File(b"libc"),
    "usr/lib/os-release": "ID=debian\n",
    "etc/os-release": Symlink("../usr/lib/os-release"),
}


# --- link resolution -------------------------------------------------------------------------


def test_absolute_target_resolves_against_the_image_root() -> None:
    tree = build({"data/hosts": "127.0.0.1 localhost\n", "etc/hosts": Symlink("/data/hosts")})
    found = tree.resolve("/etc/hosts")
    assert found.real_path == "/data/hosts"
    assert found.node is tree.lstat("/data/hosts")


def test_relative_target_resolves_from_the_link_directory() -> None:
    tree = build(MERGED_USR)
    assert tree.resolve("/etc/os-release").real_path == "/usr/lib/os-release"


def test_dotdot_in_a_target_stops_at_the_root() -> None:
    tree = build({"etc/hosts": "x", "a/b/link": Symlink("../../../../../../etc/hosts")})
    assert tree.resolve("/a/b/link").real_path == "/etc/hosts"


def test_dotdot_in_a_lookup_stops_at_the_root() -> None:
    tree = build({"etc/hosts": "x"})
    assert tree.resolve("/../../etc/../etc/hosts").real_path == "/etc/hosts"
    assert tree.resolve("etc/hosts").real_path == "/etc/hosts"


def test_merged_usr_chain_through_directory_links() -> None:
    tree = build(MERGED_USR)
    found = tree.resolve("/bin/sh")
    assert found.real_path == "/usr/bin/dash"
    assert found.access_path == "/bin/sh"
    assert found.chain == (("/bin", "usr/bin"), ("/usr/bin/sh", "dash"))
    assert tree.resolve("/lib/x86_64-linux-gnu/libc.so.6").real_path == (
        "/usr/lib/x86_64-linux-gnu/libc.so.6"
    )


def test_describe_chain_names_every_hop() -> None:
    tree = build(MERGED_USR)
    found = tree.resolve("/sbin/iptables")
    assert found.real_path == "/usr/sbin/iptables-nft"
    assert found.describe_chain() == (
        "/sbin/iptables -> /usr/sbin/iptables -> /etc/alternatives/iptables"
        " -> /usr/sbin/iptables-nft"
    )
    plain = tree.resolve("/usr/bin/dash")
    assert plain.chain == ()
    assert plain.describe_chain() == "/usr/bin/dash"


def test_exactly_max_hops_links_still_resolve() -> None:
    spec: dict[str, Item] = {f"l{i}": Symlink(f"l{i + 1}") for i in range(MAX_HOPS)}
    spec[f"l{MAX_HOPS}"] = "end"
    tree = build(spec)
    found = tree.resolve("/l0")
    assert found.real_path == f"/l{MAX_HOPS}"
    assert len(found.chain) == MAX_HOPS


def test_more_than_max_hops_is_a_loop() -> None:
    spec: dict[str, Item] = {f"l{i}": Symlink(f"l{i + 1}") for i in range(MAX_HOPS + 1)}
    spec[f"l{MAX_HOPS + 1}"] = "end"
    tree = build(spec)
    with pytest.raises(ResolveError) as caught:
        tree.resolve("/l0")
    assert caught.value.reason == "loop"
    assert len(caught.value.chain) == MAX_HOPS
    assert str(caught.value) == f"/l{MAX_HOPS}: loop"


def test_self_loop() -> None:
    tree = build({"etc/hosts": Symlink("hosts"), "etc/abs": Symlink("/etc/abs")})
    assert reason(tree, "/etc/hosts") == "loop"
    assert reason(tree, "/etc/abs") == "loop"
    assert tree.lstat("/etc/hosts").is_symlink
    assert not tree.exists("/etc/hosts")
    assert tree.exists("/etc/hosts", follow=False)


def test_two_link_loop() -> None:
    tree = build({"a": Symlink("b"), "b": Symlink("/a")})
    assert reason(tree, "/a") == "loop"
    assert reason(tree, "/a/x") == "loop"


def test_directory_loop_through_parent_link() -> None:
    tree = build({"d/up": Symlink(".."), "d/f": "x"})
    assert tree.resolve("/d/up/d/up/d/f").real_path == "/d/f"
    deep = "/d" + "/up/d" * (MAX_HOPS + 1) + "/f"
    assert reason(tree, deep) == "loop"


def test_dangling_link_and_missing_path() -> None:
    tree = build({"etc/hosts": Symlink("/nowhere/hosts")})
    with pytest.raises(ResolveError) as caught:
        tree.stat("/etc/hosts")
    assert caught.value.reason == "dangling"
    assert caught.value.path == "/nowhere"
    assert caught.value.chain == (("/etc/hosts", "/nowhere/hosts"),)
    assert tree.lstat("/etc/hosts").link == "/nowhere/hosts"
    assert reason(tree, "/etc/passwd") == "missing"
    assert reason(tree, "/var/lib/x") == "missing"


def test_not_a_directory() -> None:
    tree = build({"etc/hosts": "x", "etc/link": Symlink("hosts")})
    with pytest.raises(ResolveError) as caught:
        tree.stat("/etc/hosts/x")
    assert (caught.value.reason, caught.value.path) == ("not_a_directory", "/etc/hosts")
    assert reason(tree, "/etc/link/x") == "not_a_directory"
    with pytest.raises(ResolveError) as listing:
        tree.listdir("/etc/hosts")
    assert listing.value.reason == "not_a_directory"


def test_listdirs_lists_each_directory_in_order_and_passes_over_the_others() -> None:
    tree = build({"usr/sbin/b": "x", "usr/sbin/a": "x", "bin": Symlink("usr/sbin"), "f": "x"})
    listed = list(tree.listdirs(["/bin", "/missing", "/f", "/usr/sbin", "/dangling"]))
    assert listed == [("/bin", "a"), ("/bin", "b"), ("/usr/sbin", "a"), ("/usr/sbin", "b")]


# --- duplicates and hard links ------------------------------------------------------------------


def test_duplicate_file_last_wins() -> None:
    tree = build_entries(
        (Entry("etc/hosts", Kind.FILE, size=5), b"first"),
        (Entry("./etc/hosts", Kind.FILE, mode=0o600, size=6), b"second"),
    )
    assert tree.read("/etc/hosts") == b"second"
    assert tree.stat("/etc/hosts").mode == 0o600


def test_directory_replaced_by_file() -> None:
    tree = build_entries(
        (Entry("etc/", Kind.DIR), b""),
        (Entry("etc/hosts", Kind.FILE, size=1), b"x"),
        (Entry("etc", Kind.FILE, size=4), b"file"),
    )
    assert tree.stat("/etc").is_file
    assert reason(tree, "/etc/hosts") == "not_a_directory"


def test_file_replaced_by_directory() -> None:
    tree = build_entries(
        (Entry("etc", Kind.FILE, size=4), b"file"),
        (Entry("etc/", Kind.DIR, mode=0o700), b""),
        (Entry("etc/hosts", Kind.FILE, size=1), b"x"),
    )
    assert tree.stat("/etc").is_dir
    assert tree.stat("/etc").mode == 0o700
    assert tree.listdir("/etc") == ["hosts"]


def test_file_under_a_former_file_replaces_it_with_a_directory() -> None:
    tree = build_entries(
        (Entry("etc", Kind.FILE, size=4), b"file"),
        (Entry("etc/hosts", Kind.FILE, size=1), b"x"),
    )
    assert tree.stat("/etc").is_dir
    assert tree.read("/etc/hosts") == b"x"


def test_duplicate_directory_keeps_children_and_takes_new_metadata() -> None:
    tree = build_entries(
        (Entry("etc/", Kind.DIR, mode=0o755), b""),
        (Entry("etc/hosts", Kind.FILE, size=1), b"x"),
        (Entry("etc/", Kind.DIR, mode=0o700, uid=5), b""),
    )
    assert tree.listdir("/etc") == ["hosts"]
    assert (tree.stat("/etc").mode, tree.stat("/etc").uid) == (0o700, 5)


def test_symlink_replaced_by_file() -> None:
    tree = build_entries(
        (Entry("etc/hosts", Kind.SYMLINK, link="/x"), b""),
        (Entry("etc/hosts", Kind.FILE, size=1), b"y"),
    )
    assert tree.lstat("/etc/hosts").is_file
    assert tree.read("/etc/hosts") == b"y"


def test_hard_links_share_records_and_metadata() -> None:
    tree = build(
        {"etc/hosts": File("127.0.0.1 localhost\n", mode=0o640), "etc/h2": Hardlink("etc/hosts")}
    )
    first, second = tree.stat("/etc/hosts"), tree.stat("/etc/h2")
    assert first is not second
    assert second.is_file
    assert second.records is first.records
    assert (second.mode, second.size) == (0o640, 20)
    assert tree.read("/etc/h2") == b"127.0.0.1 localhost\n"


def test_hard_link_to_a_missing_target_is_skipped_with_a_warning() -> None:
    builder = TreeBuilder([CAPTURE])
    tree = builder.build([to_layer(make_tree({"etc/h2": Hardlink("etc/nothing")}))])
    assert reason(tree, "/etc/h2") == "missing"
    [note] = builder.report.notifications
    assert note.code == "entry.hardlink"
    assert (
        note.message == "hard link /etc/h2 -> /etc/nothing: target is not an earlier regular file"
    )
    assert note.location == Location("/etc/h2")


# --- the read API ------------------------------------------------------------------------------


def test_lstat_stat_readlink() -> None:
    tree = build(MERGED_USR)
    assert tree.lstat("/bin/sh").is_symlink
    assert tree.lstat("/bin/sh") is tree.lstat("/usr/bin/sh")
    assert tree.stat("/bin/sh").is_file
    assert tree.stat("/bin/sh").mode == 0o755
    assert tree.readlink("/bin/sh") == "dash"
    assert tree.readlink("/bin") == "usr/bin"
    with pytest.raises(ResolveError) as caught:
        tree.readlink("/usr/bin/dash")
    assert caught.value.reason == "not_a_link"


def test_listdir_follows_links_and_sorts() -> None:
    tree = build(MERGED_USR)
    assert tree.listdir("/bin") == ["dash", "sh"]
    assert tree.listdir("/") == ["bin", "etc", "lib", "sbin", "usr"]


def test_glob_wildcards() -> None:
    tree = build(
        {"etc/a.conf": "", "etc/b.conf": "", "etc/b.txt": "", "etc/hosts": "", "etc/c1": ""}
    )
    assert tree.glob("/etc/*.conf") == ["/etc/a.conf", "/etc/b.conf"]
    assert tree.glob("/etc/?.txt") == ["/etc/b.txt"]
    assert tree.glob("/etc/[ab].conf") == ["/etc/a.conf", "/etc/b.conf"]
    assert tree.glob("/etc/c[0-9]") == ["/etc/c1"]
    assert tree.glob("/etc/hosts") == ["/etc/hosts"]
    assert tree.glob("/etc/nothing*") == []


def test_glob_double_star() -> None:
    tree = build({"etc/a": "", "etc/x/y/z.conf": "", "etc/x/w.conf": "", "other/z.conf": ""})
    assert tree.glob("/etc/**/*.conf") == ["/etc/x/w.conf", "/etc/x/y/z.conf"]
    assert tree.glob("/etc/**") == [
        "/etc/a",
        "/etc/x",
        "/etc/x/w.conf",
        "/etc/x/y",
        "/etc/x/y/z.conf",
    ]
    assert tree.glob("/**/z.conf") == ["/etc/x/y/z.conf", "/other/z.conf"]


def test_glob_through_a_linked_directory_returns_access_paths() -> None:
    tree = build(MERGED_USR)
    assert tree.glob("/lib/*/libc.so.*") == ["/lib/x86_64-linux-gnu/libc.so.6"]
    assert tree.glob("/bin/*") == ["/bin/dash", "/bin/sh"]


def test_glob_double_star_does_not_descend_linked_directories() -> None:
    tree = build(MERGED_USR)
    assert tree.glob("/**/libc.so.6") == ["/usr/lib/x86_64-linux-gnu/libc.so.6"]
    assert tree.glob("/**/dash") == ["/usr/bin/dash"]


def test_glob_of_a_looping_or_dangling_directory_is_empty() -> None:
    tree = build({"a": Symlink("b"), "b": Symlink("a"), "c": Symlink("/none")})
    assert tree.glob("/a/*") == []
    assert tree.glob("/c/*") == []
    assert tree.glob("/*") == ["/a", "/b", "/c"]


def test_read_captured_content_through_links() -> None:
    tree = build({"etc/hosts": "127.0.0.1 localhost\n", "data/h": Symlink("/etc/hosts")})
    assert tree.read("/data/h") == b"127.0.0.1 localhost\n"


def test_read_of_uncaptured_content_raises_not_captured() -> None:
    tree = build({"usr/share/doc/x": "not declared"})
    with pytest.raises(NotCaptured):
        tree.read("/usr/share/doc/x")


def test_read_of_a_directory_is_not_a_file() -> None:
    tree = build({"etc/hosts": ""})
    with pytest.raises(ResolveError) as caught:
        tree.read("/etc")
    assert caught.value.reason == "not_a_file"


def test_random_access_source_is_re_read_each_time() -> None:
    calls: list[int] = []

    def blocks() -> Iterator[bytes]:
        calls.append(1)
        return iter([b"ab", b"cd"])

    layer = LayerStream(
        LayerInfo("dir"),
        iter([(Entry("usr/share/x", Kind.FILE, size=4), blocks)]),
        random_access=True,
    )
    tree = TreeBuilder([CAPTURE]).build([layer])
    assert tree.random_access
    assert calls == []
    assert tree.read("/usr/share/x") == b"abcd"
    assert tree.read("/usr/share/x") == b"abcd"
    assert len(calls) == 2


def test_walk_is_depth_first_sorted_and_does_not_follow_links() -> None:
    tree = build(
        {
            "b/z": "",
            "b/a/x": "",
            "a": Symlink("b"),
            "c": Dir(),
            "b.txt": "",
        }
    )
    assert [path for path, _ in tree.walk()] == [
        "/a",
        "/b",
        "/b/a",
        "/b/a/x",
        "/b/z",
        "/b.txt",
        "/c",
    ]
    # a linked top is followed once; the paths are given as asked
    assert [path for path, _ in tree.walk("/a")] == ["/a/a", "/a/a/x", "/a/z"]
    assert [path for path, _ in tree.walk("/b/a")] == ["/b/a/x"]


def test_location_carries_real_path_access_path_and_layer() -> None:
    tree = build(MERGED_USR)
    assert tree.location("/etc/os-release", 3) == Location(
        "/usr/lib/os-release", 3, "/etc/os-release", "layer-1"
    )
    assert tree.location("/usr/lib/os-release") == Location(
        "/usr/lib/os-release", None, None, "layer-1"
    )
    assert tree.location("/no/such") == Location("/no/such")


def test_location_of_a_dangling_link_is_the_link_itself() -> None:
    tree = build({"etc/hosts": Symlink("/gone")})
    assert tree.location("/etc/hosts") == Location("/etc/hosts", None, None, "layer-1")


def test_root_entry_sets_root_metadata() -> None:
    tree = build_entries(
        (Entry("./", Kind.DIR, mode=0o700, uid=1), b""), (Entry("x", Kind.FILE), b"")
    )
    assert (tree.root.mode, tree.root.uid) == (0o700, 1)
    assert tree.stat("/") is tree.root
    assert tree.listdir("/") == ["x"]


def test_non_regular_files_are_kept_with_their_kind() -> None:
    stream = [
        (Entry("dev/null", Kind.CHAR, 0o666, rdev=(1, 3)), no_data),
        (Entry("dev/sda", Kind.BLOCK, 0o660, rdev=(8, 0)), no_data),
        (Entry("run/fifo", Kind.FIFO, 0o600), no_data),
    ]
    tree = TreeBuilder([CAPTURE]).build([LayerStream(LayerInfo("t"), iter(stream))])
    assert tree.stat("/dev/null").kind is Kind.CHAR
    assert tree.stat("/dev/null").rdev == (1, 3)
    assert tree.stat("/dev/sda").kind is Kind.BLOCK
    assert tree.stat("/run/fifo").kind is Kind.FIFO


def test_describe_chain_skips_directory_links_on_the_way() -> None:
    tree = build(
        {
            "bin": Symlink("usr/bin"),
            "usr/bin/kmod": File(b"\x7fELF", mode=0o755),
            "usr/sbin/modprobe": Symlink("/bin/kmod"),
        }
    )
    found = tree.resolve("/usr/sbin/modprobe")
    assert found.chain == (("/usr/sbin/modprobe", "/bin/kmod"), ("/bin", "usr/bin"))
    assert found.hops == ("/usr/sbin/modprobe",)
    assert found.describe_chain() == "/usr/sbin/modprobe -> /usr/bin/kmod"
