"""The tree's memory per node is measured, and the entry cap keeps the tree within its budget."""

from __future__ import annotations

import dataclasses
import tracemalloc

from builders import make_tree, to_layer

from analyzer.vfs.build import MAX_NAME_BYTES, NODE_BYTES, TREE_BUDGET, Limits, TreeBuilder

FILES = 20_000


def test_a_node_costs_at_most_node_bytes() -> None:
    spec = make_tree({f"d{i // 500}/f{i}": "" for i in range(FILES)})
    layer = to_layer(spec, "layer-1")
    entries = list(layer.entries)  # the input itself is not the tree's memory
    layer = dataclasses.replace(layer, entries=iter(entries))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tree = TreeBuilder([]).build([layer])
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    nodes = FILES + FILES // 500
    names = sum(len(f"f{i}") for i in range(FILES))
    assert tree.listdir("/d0")[:2] == ["f0", "f1"]
    per_node = (used - names) / nodes
    assert per_node <= NODE_BYTES, f"{per_node:.0f} bytes a node"


def test_the_default_caps_fit_the_tree_budget() -> None:
    limits = Limits()
    assert (
        limits.max_entries * NODE_BYTES + limits.max_name_bytes + limits.max_record_bytes
        <= TREE_BUDGET
    )
    assert limits.max_name_bytes == MAX_NAME_BYTES
    assert limits.max_entries >= 500_000, "large root file systems must still fit"


def test_long_names_stop_the_pass_at_the_name_budget() -> None:
    spec = make_tree({f"etc/{i:04}" + "n" * 200: "" for i in range(50)})
    builder = TreeBuilder([], Limits(max_name_bytes=2000))
    tree = builder.build([to_layer(spec, "layer-1")])
    assert builder.report.complete is False
    [note] = builder.report.notifications
    assert (note.code, note.message) == (
        "limit",
        "layer-1: names longer than 2000 bytes in all; stopped reading",
    )
    assert len(tree.listdir("/etc")) == 9
