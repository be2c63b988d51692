"""Node records read through typed keys: the record of the right type, or ``None``."""

from __future__ import annotations

from analyzer.stream.records import TEXT, RecordKey, Records

SIZE: RecordKey[int] = RecordKey("size", int)


def test_a_key_gives_its_record_only_when_it_has_the_keys_type() -> None:
    records = Records()
    records.keep("text", b"127.0.0.1 localhost\n")
    records.keep("size", "not a number")
    text: bytes | None = records.get(TEXT)
    assert text == b"127.0.0.1 localhost\n"
    assert records.get(SIZE) is None
    assert records.get(RecordKey("elf", bytes)) is None


def test_records_count_and_list_in_the_order_they_were_kept() -> None:
    records = Records()
    records.keep("text", b"x")
    records.keep("size", 3)
    assert (len(records), records.names(), records.values()) == (2, ("text", "size"), (b"x", 3))
