"""Links between members of an image archive follow the tree's one link policy (MAX_HOPS)."""

from __future__ import annotations

import pytest

from analyzer.errors import SourceError
from analyzer.sources.container.store import ArchiveStore, Member
from analyzer.stream.entry import Kind
from analyzer.stream.paths import MAX_HOPS


def chain(links: int) -> ArchiveStore:
    """``l0 -> l1 -> ... -> l<links-1> -> blob``: ``links`` links before the file."""
    members = {f"l{i}": Member(f"l{i}", Kind.SYMLINK, link=f"l{i + 1}") for i in range(links)}
    members[f"l{links - 1}"] = Member(f"l{links - 1}", Kind.SYMLINK, link="blob")
    members["blob"] = Member("blob", Kind.FILE, 0, 3)
    return ArchiveStore(-1, members, "image.tar")


def test_as_many_links_as_the_tree_follows_lead_to_the_member() -> None:
    assert chain(MAX_HOPS).resolve_name("l0") == "blob"


def test_one_more_link_is_too_many() -> None:
    with pytest.raises(SourceError, match=r"^image.tar: l0: too many links$"):
        chain(MAX_HOPS + 1).resolve_name("l0")
