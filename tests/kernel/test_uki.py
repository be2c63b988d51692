"""Unified kernel images: PE sections read during the pass, and their command line in the rules."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_synth import pe_image
from scenarios import only, scan
from test_discovery import kernels
from test_kernel_rules import R, rootfs

from analyzer.analyzers.kernel_image import KernelImageAnalyzer
from analyzer.kerneldecode.uki import MAX_SECTION, UkiInfo, is_uki_path, parse_sections
from analyzer.kerneldecode.uki import UKI as UKI_RECORD
from analyzer.model import LayerInfo, Level, Outcome
from analyzer.stream.entry import Entry, Kind, LayerStream
from analyzer.vfs.build import TreeBuilder

UKI = f"/boot/efi/EFI/Linux/debian-{R}.efi"
CMDLINE = b"root=/dev/vda1 ro systemd.unified_cgroup_hierarchy=0\x00"
#: A stand-in for the kernel and initrd sections, which the reader must skip without keeping.
BULK = bytes(range(256)) * 2048


def uki(cmdline: bytes = CMDLINE, uname: bytes | None = R.encode()) -> bytes:
    sections = [(".osrel", b"ID=debian\nVERSION_ID=12\n"), (".cmdline", cmdline)]
    if uname is not None:
        sections.append((".uname", uname))
    return pe_image([*sections, (".linux", BULK), (".initrd", BULK)])


def read(data: bytes, block: int = 4096, path: str = UKI) -> UkiInfo:
    """Run the kernel-image analyzer over ``data`` split into ``block``-byte blocks."""
    chunks = [data[i : i + block] for i in range(0, len(data), block)]

    def blocks() -> object:
        return iter(chunks)

    entry = Entry(path.lstrip("/"), Kind.FILE, size=len(data))
    layer = LayerStream(LayerInfo("test"), iter([(entry, blocks)]))  # type: ignore[list-item]
    tree = TreeBuilder([KernelImageAnalyzer()]).build([layer])
    record = tree.stat(path).records.get(UKI_RECORD)
    if record is None:
        raise AssertionError(f"no UKI record for {path}: {record!r}")
    return record


@pytest.mark.parametrize("block", [4096, 100, 1 << 20])
def test_sections_are_read_whatever_the_block_size(block: int) -> None:
    data = uki()
    record = read(data, block)
    assert record.cmdline == "root=/dev/vda1 ro systemd.unified_cgroup_hierarchy=0"
    assert record.uname == R
    assert record.osrel == "ID=debian\nVERSION_ID=12"
    assert record.sections == (".osrel", ".cmdline", ".uname", ".linux", ".initrd")
    assert data[record.cmdline_offset or 0 :].startswith(CMDLINE)
    assert record.problems == ()


def test_synthetic_image_is_a_pe_for_objdump_with_the_same_offsets(tmp_path: Path) -> None:
    if shutil.which("objdump") is None:
        pytest.skip("objdump is not installed (apt-get install binutils)")
    path = tmp_path / "uki.efi"
    path.write_bytes(uki())
    table = subprocess.run(["objdump", "-h", str(path)], capture_output=True, check=True, text=True)
    assert "file format pei-x86-64" in table.stdout
    line = next(w for w in table.stdout.splitlines() if " .cmdline " in w).split()
    record = read(path.read_bytes())
    assert (int(line[2], 16), int(line[5], 16)) == (len(CMDLINE), record.cmdline_offset)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x7fELF" + bytes(4096), "no MZ header: not an EFI executable"),
        (
            b"MZ" + bytes(0x3A) + (0x40).to_bytes(4, "little") + b"NE" + bytes(300),
            "no PE signature",
        ),
        (b"MZ" + bytes(0x3A) + (1 << 20).to_bytes(4, "little") + bytes(300), "beyond the first"),
    ],
    ids=["elf", "no-pe-signature", "pe-header-far-away"],
)
def test_not_a_pe_is_a_problem_not_a_crash(data: bytes, problem: str) -> None:
    record = read(data)
    assert record.cmdline is None
    assert len(record.problems) == 1 and problem in record.problems[0]


def test_file_cut_inside_the_cmdline_section() -> None:
    data = uki()
    record = read(data[: (read(data).cmdline_offset or 0) + 10])
    assert record.cmdline is None
    assert record.problems == (
        "section .linux is cut short by the end of the file",
        "section .cmdline is cut short by the end of the file",
        "section .uname is cut short by the end of the file",
    )


def test_oversized_cmdline_section_is_not_kept() -> None:
    record = read(uki(cmdline=b"x" * (MAX_SECTION + 1)))
    assert (record.cmdline, record.uname) == (None, R)
    assert record.problems == (
        f"section .cmdline is {MAX_SECTION + 1} bytes, over the {MAX_SECTION}-byte limit; not read",
    )


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("/boot/efi/EFI/Linux/debian-6.1.efi", True),
        ("/efi/EFI/Linux/arch-linux.efi", True),
        ("/boot/EFI/Linux/fedora.EFI", True),
        ("/boot/efi/EFI/debian/grubx64.efi", False),
        ("/usr/lib/systemd/boot/efi/linuxx64.efi.stub", False),
    ],
)
def test_paths_read_as_unified_kernel_images(path: str, wanted: bool) -> None:
    assert is_uki_path(path) is wanted


def test_release_and_cmdline_come_from_the_uki_alone() -> None:
    found, notes = kernels({UKI.lstrip("/"): uki()})
    [kernel] = found
    assert kernel.release == R
    assert [(p.text(), p.path, p.source) for p in kernel.cmdline][-1] == (
        "systemd.unified_cgroup_hierarchy=0",
        UKI,
        "uki",
    )
    assert UKI in kernel.boot_files
    assert notes == []


def test_broken_uki_is_a_notification() -> None:
    found, notes = kernels({f"boot/config-{R}": "CONFIG_CGROUPS=y\n", UKI.lstrip("/"): b"MZ" * 200})
    assert [k.release for k in found] == [R]
    assert [(n.level, n.code, n.location.path if n.location else None) for n in notes] == [
        (Level.WARNING, "kernel.uki", UKI)
    ]


def test_uki_cmdline_forcing_cgroup_v1_is_located_in_the_efi_file(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(extra={UKI.lstrip("/"): uki()}), role="worker")
    evaluation = only(result, "k0s.cgroups.v2")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert (evaluation.location.path, evaluation.location.line) == (UKI, None)
    assert evaluation.message == (
        "cgroup v2 is required: cgroup hybrid: systemd.unified_cgroup_hierarchy=0 forces the"
        " hybrid hierarchy"
    )


def test_uki_with_a_clean_cmdline_stays_quiet(tmp_path: Path) -> None:
    spec = rootfs(extra={UKI.lstrip("/"): uki(cmdline=b"root=/dev/vda1 ro quiet\n")})
    result = scan(tmp_path, spec, role="worker")
    assert only(result, "k0s.cgroups.v2").outcome is Outcome.PASS
    assert only(result, "k0s.apparmor.state").outcome is Outcome.PASS


def test_reading_stops_after_the_kernel_section() -> None:
    data = uki()
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    pulled: list[bytes] = []

    def blocks() -> Iterator[bytes]:
        for chunk in chunks:
            pulled.append(chunk)
            yield chunk

    entry = Entry(UKI.lstrip("/"), Kind.FILE, size=len(data))
    layer = LayerStream(LayerInfo("test"), iter([(entry, blocks)]))
    tree = TreeBuilder([KernelImageAnalyzer()]).build([layer])
    record = tree.stat(UKI).records.get(UKI_RECORD)
    assert record is not None
    assert record.uname == R and record.problems == ()
    linux = next(s for s in parse_sections(data) or () if s.name == ".linux")
    assert len(pulled) == -(-(linux.offset + linux.size) // 4096), "the .initrd was read"
    assert record.kernel is not None and record.kernel.problems == ("no kernel payload found",)
