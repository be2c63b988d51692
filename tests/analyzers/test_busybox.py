"""busybox applet tables read from the real busybox-static binary, whole and as it streams."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzer.analyzers.busybox import (
    ANCHOR,
    MAX_TABLE_BYTES,
    BusyboxAnalyzer,
    applets_in,
    parse_table,
)
from analyzer.stream.busybox import NOT_FOUND

BUSYBOX = Path("/bin/busybox")
pytestmark = pytest.mark.skipif(not BUSYBOX.is_file(), reason="busybox-static is not installed")


@pytest.fixture(scope="module")
def binary() -> bytes:
    return BUSYBOX.read_bytes()


@pytest.fixture(scope="module")
def listed() -> frozenset[str]:
    out = subprocess.run([str(BUSYBOX), "--list"], check=True, capture_output=True, text=True)
    return frozenset(out.stdout.split())


def test_table_equals_busybox_list(binary: bytes, listed: frozenset[str]) -> None:
    found = applets_in(binary)
    assert found.problem == ""
    assert found.applets == listed
    assert found.lists("mount") is True
    assert found.lists("adduser") is ("adduser" in listed)


@pytest.mark.parametrize("block", [7, 4096, 65536])
def test_streamed_in_blocks_gives_the_same_table(
    binary: bytes, listed: frozenset[str], block: int
) -> None:
    analyzer = BusyboxAnalyzer()
    assert analyzer.wants("/bin/busybox", len(binary))
    assert not analyzer.wants("/bin/mount", len(binary))
    start = binary.find(ANCHOR) - 3 * block
    sink = analyzer.open("/bin/busybox", len(binary), binary[start : start + block])
    assert sink is not None
    offset = start + block
    while not sink.complete and offset < len(binary):
        sink.feed(binary[offset : offset + block])
        offset += block
    assert sink.complete
    assert offset < len(binary)  # stopped right after the table, not at the end of the file
    record = sink.close()
    assert record == applets_in(binary)
    assert getattr(record, "applets", None) == listed


def test_fake_bytes_have_no_table() -> None:
    assert applets_in(b"\x7fELF" + bytes(4000)) is NOT_FOUND
    assert NOT_FOUND.lists("mount") is None


def test_unterminated_unsorted_or_odd_tables_are_problems() -> None:
    assert parse_table(b"[\0[[\0mount").problem == (
        f"applet table has no end within {MAX_TABLE_BYTES} bytes"
    )
    assert parse_table(b"[\0[[\0umount\0mount\0\0").problem == "applet table is not sorted"
    assert parse_table(b"[\0[[\0a/b\0\0").problem == (
        "applet table holds a name that is not an applet name"
    )
