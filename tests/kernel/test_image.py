"""Kernel images: release and embedded configuration from every payload compression."""

from __future__ import annotations

import gzip

import pytest
from kernel_synth import COMPRESSORS, SAMPLE_CONFIG, arm64_image, bzimage, compress, vmlinux

from analyzer.analyzers.kernel_image import KernelImageAnalyzer, is_kernel_path
from analyzer.kerneldecode.decompress import DecompressError, stream
from analyzer.kerneldecode.image import KERNEL_IMAGE, inspect
from analyzer.model import LayerInfo
from analyzer.stream.entry import Entry, Kind, LayerStream
from analyzer.vfs.build import TreeBuilder


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_bzimage_payload_in_every_compression(kind: str) -> None:
    info = inspect(bzimage(compress(kind, vmlinux())))
    assert info.format == "bzImage"
    assert info.compression == kind
    assert info.release == "6.1.0-test"
    assert info.header_release == "6.1.0-test"
    assert info.config == SAMPLE_CONFIG
    assert info.problems == ()


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_payload_found_by_magic_scan_when_header_fields_are_zero(kind: str) -> None:
    image = bytearray(bzimage(compress(kind, vmlinux())))
    image[0x248:0x250] = bytes(8)
    info = inspect(bytes(image))
    assert (info.compression, info.release, info.config) == (kind, "6.1.0-test", SAMPLE_CONFIG)


def test_arm64_raw_image_is_read_without_decompression() -> None:
    info = inspect(arm64_image(vmlinux("6.1.0-arm")))
    assert (info.format, info.compression, info.release) == ("arm64-image", "none", "6.1.0-arm")
    assert info.config == SAMPLE_CONFIG


def test_arm64_image_gz_is_named_from_the_decompressed_header() -> None:
    """Debian's arm64 ``vmlinuz`` is a gzip-compressed ``Image``: the format is the payload's."""
    info = inspect(gzip.compress(arm64_image(vmlinux("6.1.0-arm")), mtime=0))
    assert (info.format, info.compression, info.release) == ("arm64-image", "gzip", "6.1.0-arm")
    assert info.config == SAMPLE_CONFIG


def test_kernel_without_ikconfig_gives_release_only() -> None:
    info = inspect(bzimage(compress("xz", vmlinux(config=None))))
    assert info.release == "6.1.0-test"
    assert info.config is None


def test_banner_split_across_chunks_is_found() -> None:
    kernel = b"x" * ((1 << 20) - 20) + vmlinux(filler=8)[4:]
    info = inspect(arm64_image(kernel))
    assert info.release == "6.1.0-test"
    assert info.config == SAMPLE_CONFIG


def test_truncated_payload_is_a_problem_not_a_crash() -> None:
    payload = compress("xz", vmlinux())
    info = inspect(bzimage(payload[: len(payload) // 3]))
    assert info.release is None
    assert info.config is None
    assert any("xz" in problem for problem in info.problems)


def test_corrupt_embedded_config_is_reported() -> None:
    kernel = vmlinux(config=None) + b"IKCFG_ST\x1f\x8b\x08garbageIKCFG_ED"
    info = inspect(arm64_image(kernel))
    assert info.config is None
    assert any("not valid gzip" in problem for problem in info.problems)


def test_random_bytes_are_not_a_kernel() -> None:
    info = inspect(bytes(range(256)) * 64)
    assert info.release is None
    assert info.problems == ("no kernel payload found",)


def test_output_cap_bounds_decompression() -> None:
    bomb = gzip.compress(bytes(4 << 20))
    assert sum(len(chunk) for chunk in stream("gzip", bomb, 1 << 20)) == 1 << 20


def test_unknown_compression_is_an_error() -> None:
    with pytest.raises(DecompressError):
        list(stream("brotli", b"", 10))


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("/boot/vmlinuz-6.1.0-13-amd64", True),
        ("/usr/lib/modules/6.5.6-300.fc39.x86_64/vmlinuz", True),
        ("/lib/modules/6.1.0/Image.gz", True),
        ("/usr/lib/ostree-boot/vmlinuz-6.5-abc", True),
        ("/boot/.vmlinuz-6.5.hmac", False),
        ("/boot/vmlinuz-6.1.sig", False),
        ("/usr/share/doc/vmlinuz", False),
        ("/lib/modules/6.1.0/kernel/vmlinuz", False),
    ],
)
def test_paths_the_analyzer_wants(path: str, wanted: bool) -> None:
    assert is_kernel_path(path) is wanted


def test_analyzer_records_the_image_during_the_pass() -> None:
    data = bzimage(compress("gzip", vmlinux("6.1.0-99-amd64")))

    def blocks() -> object:
        return iter([data[:65536], data[65536:]])

    entry = Entry("boot/vmlinuz-6.1.0-99-amd64", Kind.FILE, size=len(data))
    layer = LayerStream(LayerInfo("test"), iter([(entry, blocks)]))  # type: ignore[list-item]
    tree = TreeBuilder([KernelImageAnalyzer()]).build([layer])
    record = tree.stat("/boot/vmlinuz-6.1.0-99-amd64").records.get(KERNEL_IMAGE)
    assert record is not None
    assert record.release == "6.1.0-99-amd64"
    assert record.config == SAMPLE_CONFIG
