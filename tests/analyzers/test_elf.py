"""The ELF analyzer on the built corpus: each record field, streaming, corrupt input."""

from __future__ import annotations

import pytest
from elfcorpus import Corpus

from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.analyzers.elfinfo import NSS_MARKER, MarkerScan
from analyzer.stream.elfrecord import ElfRecord


def analyze(data: bytes, block: int = 64 * 1024, prefix_cap: int = 16 << 20) -> ElfRecord | None:
    analyzer = ElfAnalyzer(prefix_cap)
    blocks = [data[i : i + block] for i in range(0, len(data), block)] or [b""]
    sink = analyzer.open("/x", len(data), blocks[0])
    if sink is None:
        return None
    for chunk in blocks[1:]:
        sink.feed(chunk)
    record = sink.close()
    assert isinstance(record, ElfRecord)
    return record


def test_dynamic_glibc_hardened(corpus: Corpus) -> None:
    record = analyze((corpus / "hello").read_bytes())
    assert record is not None
    assert (record.elf_class, record.little_endian, record.machine_name) == (64, True, "EM_X86_64")
    assert (record.kind, record.linking, record.libc) == ("executable", "dynamic", "glibc")
    assert record.interp == "/lib64/ld-linux-x86-64.so.2"
    assert record.needed == ("libc.so.6",)
    assert (record.pie, record.relro, record.nx, record.canary) == (True, "full", True, True)
    assert record.fortified is not None and "__strcpy_chk" in record.fortified
    assert record.rpath == () and record.runpath == ()
    assert record.corrupt is None


def test_weak_binary_has_no_hardening(corpus: Corpus) -> None:
    record = analyze((corpus / "weak").read_bytes())
    assert record is not None
    assert (record.type, record.pie, record.relro, record.nx) == ("EXEC", False, "none", False)
    assert (record.canary, record.fortified) == (False, ())


def test_static_and_static_pie(corpus: Corpus) -> None:
    static = analyze((corpus / "hello-static").read_bytes())
    pie = analyze((corpus / "hello-static-pie").read_bytes())
    assert static is not None and pie is not None
    assert (static.linking, static.interp, static.needed, static.libc) == (
        "static",
        None,
        (),
        "glibc",
    )
    assert (pie.kind, pie.linking, pie.pie_flag, pie.interp) == (
        "executable",
        "static-pie",
        True,
        None,
    )
    assert static.canary is None and pie.canary is None, "static symbols are not read: unknown"


def test_musl_dynamic_and_static(corpus: Corpus) -> None:
    dynamic = analyze((corpus / "hello-musl").read_bytes())
    static = analyze((corpus / "hello-musl-static").read_bytes())
    assert dynamic is not None and static is not None
    assert (dynamic.libc, dynamic.interp, dynamic.needed) == (
        "musl",
        "/lib/ld-musl-x86_64.so.1",
        ("libc.so",),
    )
    assert (static.linking, static.libc, static.nss_linked) == ("static", None, False)


def test_static_glibc_nss_marker(corpus: Corpus) -> None:
    nss = analyze((corpus / "nss-static").read_bytes(), block=4096)
    plain = analyze((corpus / "hello-static").read_bytes(), block=4096)
    assert nss is not None and plain is not None
    assert nss.nss_linked is True
    assert plain.nss_linked is False


def test_arm64(corpus: Corpus) -> None:
    record = analyze((corpus / "hello-arm64").read_bytes())
    assert record is not None
    assert (record.machine_name, record.interp) == ("EM_AARCH64", "/lib/ld-linux-aarch64.so.1")


def test_rpath_and_runpath(corpus: Corpus) -> None:
    rpath = analyze((corpus / "rpath-app").read_bytes())
    runpath = analyze((corpus / "runpath-app").read_bytes())
    lib = analyze((corpus / "private" / "libmid.so.1").read_bytes())
    assert rpath is not None and runpath is not None and lib is not None
    assert (rpath.rpath, rpath.runpath) == (("$ORIGIN/../lib/private",), ())
    assert (runpath.rpath, runpath.runpath) == ((), ("$ORIGIN/../lib/private",))
    assert (lib.kind, lib.soname, lib.needed) == ("shared-library", "libmid.so.1", ("libdep.so.1",))


@pytest.mark.parametrize("block", [4, 7, 512, 4096, 1 << 20])
def test_any_block_size_gives_the_same_record(corpus: Corpus, block: int) -> None:
    data = (corpus / "hello").read_bytes()
    assert analyze(data, block=block) == analyze(data)


def test_prefix_cap_leaves_strings_unknown(corpus: Corpus) -> None:
    record = analyze((corpus / "hello").read_bytes(), block=64, prefix_cap=64)
    assert record is not None and record.corrupt is None
    assert record.needed is None, "the string table was beyond the cap: unknown, not empty"
    assert record.canary is None and record.interp == "/lib64/ld-linux-x86-64.so.2"


def test_not_elf_is_skipped() -> None:
    assert analyze(b"#!/bin/sh\necho hi\n") is None


@pytest.mark.parametrize(
    ("name", "mutate", "reason"),
    [
        ("truncated header", lambda d: d[:20], "truncated ELF header"),
        ("bad class", lambda d: d[:4] + b"\x09" + d[5:], "invalid ELF class 9"),
        ("truncated file", lambda d: d[: len(d) // 2], "extends past the end of the file"),
        ("magic only", lambda d: d[:4], "truncated ELF identification"),
    ],
)
def test_corrupt(corpus: Corpus, name: str, mutate: object, reason: str) -> None:
    data = mutate((corpus / "hello").read_bytes())  # type: ignore[operator]
    record = analyze(data)
    assert record is not None, name
    assert record.corrupt is not None and reason in record.corrupt
    assert record.needed is None


def test_unterminated_dynamic_is_corrupt(corpus: Corpus) -> None:
    data = bytearray((corpus / "hello").read_bytes())
    good = analyze(bytes(data))
    assert good is not None
    # Overwrite the DT_NULL terminator(s) and the rest of .dynamic with DT_DEBUG entries.
    import struct

    phoff = struct.unpack_from("<Q", data, 32)[0]
    phnum = struct.unpack_from("<H", data, 56)[0]
    for i in range(phnum):
        p_type, _, offset, _, _, filesz = struct.unpack_from("<IIQQQQ", data, phoff + 56 * i)
        if p_type == 2:
            for at in range(offset, offset + filesz, 16):
                tag = struct.unpack_from("<q", data, at)[0]
                if tag == 0:
                    struct.pack_into("<qQ", data, at, 21, 0)
    record = analyze(bytes(data))
    assert record is not None and record.corrupt == "dynamic section has no DT_NULL terminator"


def test_nss_marker_split_over_tiny_blocks_is_found() -> None:
    scan = MarkerScan()
    data = b"xx" + NSS_MARKER + b"yy"
    for start in range(0, len(data), 3):
        scan.feed(data[start : start + 3])
    assert scan.found


def test_nss_marker_absent_is_not_found() -> None:
    scan = MarkerScan()
    for block in (b"/etc/nss", b"witch", b".con"):
        scan.feed(block)
    assert not scan.found
