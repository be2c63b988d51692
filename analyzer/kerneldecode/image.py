"""Reading a kernel image as data: its format, release string and embedded configuration.

Formats: an x86 ``bzImage`` (setup header ``HdrS``; the compressed payload is found through
``payload_offset``/``payload_length``), an arm64 or riscv ``Image`` (raw, or a whole-file
``Image.gz``), an EFI zboot image (``zimg``), an ELF ``vmlinux``, and anything else by scanning
for compression magics the way ``scripts/extract-vmlinux`` does. In the decompressed kernel the
release comes from the ``Linux version R (...)`` banner and the configuration from the
``IKCFG_ST <gzip> IKCFG_ED`` blob that ``CONFIG_IKCONFIG`` embeds.
"""

from __future__ import annotations

import enum
import itertools
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from analyzer.codecs.magic import magics, sniff
from analyzer.kerneldecode.decompress import CHUNK, DecompressError, stream
from analyzer.stream.records import RecordKey

#: Most decompressed kernel bytes looked at per payload.
MAX_OUTPUT = 128 << 20
#: Largest embedded (gzip) configuration accepted, compressed and decompressed.
MAX_CONFIG_GZ = 4 << 20
MAX_CONFIG = 16 << 20
#: Candidate payloads tried when scanning for magics, per compression.
MAX_SCAN_TRIES = 4
IKCFG_ST = b"IKCFG_ST"
IKCFG_ED = b"IKCFG_ED"
BANNER = re.compile(rb"Linux version (\d[\x21-\x7e]*) \(([\x20-\x7e]*)")
_OVERLAP = 512
_BANNER_MAX = 300


class ImageFormat(enum.StrEnum):
    """A kernel image's format, from its header (``RAW``: bytes searched for a configuration)."""

    BZIMAGE = "bzImage"
    ARM64_IMAGE = "arm64-image"
    RISCV_IMAGE = "riscv-image"
    ZBOOT = "zboot"
    ELF = "elf"
    UNKNOWN = "unknown"
    RAW = "raw"


#: Formats whose file is the kernel itself, not a compressed payload.
RAW_FORMATS = frozenset({ImageFormat.ARM64_IMAGE, ImageFormat.RISCV_IMAGE, ImageFormat.ELF})


@dataclass(frozen=True, slots=True)
class KernelImageInfo:
    """What a kernel image revealed.

    ``compression`` the payload's compression (``none`` for a raw image);
    ``release`` the banner's release (``header_release`` the bzImage header's own string);
    ``config`` the embedded configuration text when there is one; ``problems`` what went wrong.
    """

    format: ImageFormat
    compression: str | None = None
    release: str | None = None
    banner: str | None = None
    header_release: str | None = None
    config: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def has_config(self) -> bool:
        """True when an embedded configuration was extracted."""
        return self.config is not None


class _Scan:
    """Scans a stream of kernel bytes for the banner and the IKCONFIG blob, window by window.

    ``_tail`` keeps the end of the previous window so a marker split across chunks is still
    found; ``_carry`` keeps the bytes of a blob being collected that might start the end marker.
    """

    def __init__(self) -> None:
        self.banner: bytes | None = None
        self.config_gz: bytearray | None = None
        self.config_done = False
        self.problems: list[str] = []
        self._tail = b""
        self._carry = b""

    @property
    def done(self) -> bool:
        return self.banner is not None and self.config_done

    def feed(self, chunk: bytes) -> None:
        window = self._tail + chunk
        if self.config_gz is None:
            start = window.find(IKCFG_ST)
            if start >= 0:
                self.config_gz = bytearray()
                self._collect(window[start + len(IKCFG_ST) :])
        elif not self.config_done:
            self._collect(self._carry + chunk)
        if self.banner is None:
            self._find_banner(window, final=False)
        self._tail = window[-_OVERLAP:]

    def end(self) -> None:
        if self.banner is None:
            self._find_banner(self._tail, final=True)

    def _find_banner(self, window: bytes, final: bool) -> None:
        match = BANNER.search(window)
        if match is None:
            return
        stop = re.compile(rb"[\n\x00]").search(window, match.end())
        if stop is None and not final and match.start() >= len(window) - _OVERLAP:
            return
        self.banner = window[match.start() : stop.start() if stop else match.start() + _BANNER_MAX]

    def _collect(self, rest: bytes) -> None:
        if self.config_gz is None:
            return
        end = rest.find(IKCFG_ED)
        if end >= 0:
            self.config_gz += rest[:end]
            self.config_done = True
        else:
            keep = len(IKCFG_ED) - 1
            self.config_gz += rest[: max(0, len(rest) - keep)]
            self._carry = rest[max(0, len(rest) - keep) :]
        if len(self.config_gz) > MAX_CONFIG_GZ:
            self.problems.append(f"embedded configuration larger than {MAX_CONFIG_GZ} bytes")
            self.config_gz = bytearray()
            self.config_done = True


def _scan_stream(chunks: Iterator[bytes], scan: _Scan) -> _Scan:
    for chunk in chunks:
        scan.feed(chunk)
        if scan.done:
            break
    scan.end()
    return scan


def _header_release(data: bytes) -> str | None:
    pointer = int.from_bytes(data[0x20E:0x210], "little")
    if not pointer:
        return None
    offset = pointer + 0x200
    raw = data[offset : offset + 256].split(b"\x00", 1)[0]
    text = raw.decode("ascii", "replace").strip()
    return text.split()[0] if text else None


def _bzimage_payload(data: bytes) -> bytes | None:
    protocol = int.from_bytes(data[0x206:0x208], "little")
    if protocol < 0x208 or len(data) < 0x250:
        return None
    setup_sects = data[0x1F1] or 4
    start = (setup_sects + 1) * 512 + int.from_bytes(data[0x248:0x24C], "little")
    length = int.from_bytes(data[0x24C:0x250], "little")
    if length == 0 or start + length > len(data):
        return None
    return data[start : start + length]


def _zboot_payload(data: bytes) -> tuple[str, bytes] | None:
    offset = int.from_bytes(data[8:12], "little")
    size = int.from_bytes(data[12:16], "little")
    kind = data[24:32].split(b"\x00", 1)[0].decode("ascii", "replace")
    if size == 0 or offset + size > len(data):
        return None
    return ("lzma" if kind == "lzma" else kind), data[offset : offset + size]


def detect_format(data: bytes) -> ImageFormat:
    """The kernel image format of ``data`` from its header alone."""
    if data[0x202:0x206] == b"HdrS":
        return ImageFormat.BZIMAGE
    if data[:2] == b"MZ" and data[4:8] == b"zimg":
        return ImageFormat.ZBOOT
    if data[56:60] == b"ARM\x64":
        return ImageFormat.ARM64_IMAGE
    if data[48:56] == b"RISCV\x00\x00\x00" or data[56:60] == b"RSC\x05":
        return ImageFormat.RISCV_IMAGE
    if data[:4] == b"\x7fELF":
        return ImageFormat.ELF
    return ImageFormat.UNKNOWN


def _candidates(data: bytes, fmt: ImageFormat) -> Iterator[tuple[str, bytes]]:
    """Compressed payloads worth trying, most likely first."""
    if fmt is ImageFormat.BZIMAGE:
        payload = _bzimage_payload(data)
        kind = sniff(payload, kernel=True) if payload is not None else None
        if payload is not None and kind is not None:
            yield kind, payload
    if fmt is ImageFormat.ZBOOT:
        found = _zboot_payload(data)
        if found is not None:
            yield found
    whole = sniff(data, kernel=True)
    if whole is not None:
        yield whole, data
    for kind, magic in magics(kernel=True):
        start, tries = 0, 0
        while tries < MAX_SCAN_TRIES:
            at = data.find(magic, start)
            if at < 0:
                break
            if sniff(data[at:], kernel=True) == kind:
                tries += 1
                yield kind, data[at:]
            start = at + 1


def _finish(fmt: ImageFormat, compression: str, scan: _Scan, header: str | None) -> KernelImageInfo:
    problems = list(scan.problems)
    config: str | None = None
    if scan.config_gz:
        try:
            engine = zlib.decompressobj(wbits=31)
            text = engine.decompress(bytes(scan.config_gz), MAX_CONFIG)
            config = text.decode("utf-8", "replace")
        except zlib.error as exc:
            problems.append(f"embedded configuration is not valid gzip: {exc}")
    elif scan.config_gz is not None and not problems:
        problems.append("IKCFG_ST marker without an IKCFG_ED end marker")
    banner = scan.banner.decode("ascii", "replace") if scan.banner else None
    release = None
    if scan.banner:
        match = BANNER.match(scan.banner)
        release = match.group(1).decode("ascii") if match else None
    return KernelImageInfo(fmt, compression, release, banner, header, config, tuple(problems))


def embedded_config(data: bytes) -> tuple[str | None, tuple[str, ...]]:
    """The ``IKCFG_ST``...``IKCFG_ED`` configuration anywhere in ``data``, and what went wrong.

    ``(None, ())`` when there is no start marker at all.
    """
    found = _finish(ImageFormat.RAW, "none", _scan_stream(_slices(data), _Scan()), None)
    return found.config, found.problems


def _slices(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        yield bytes(view[start : start + CHUNK])


def inspect(data: bytes) -> KernelImageInfo:
    """Format, release and embedded configuration of the kernel image ``data``."""
    fmt = detect_format(data)
    header = _header_release(data) if fmt is ImageFormat.BZIMAGE else None
    problems: list[str] = []
    if fmt in RAW_FORMATS:
        raw = _scan_stream(_slices(data), _Scan())
        if raw.banner is not None or raw.config_gz is not None:
            return _finish(fmt, "none", raw, header)
    for kind, payload in _candidates(data, fmt):
        scan = _Scan()
        chunks = stream(kind, payload, MAX_OUTPUT)
        try:
            if fmt is ImageFormat.UNKNOWN and payload is data:
                first = next(chunks, b"")
                fmt = detect_format(first)
                chunks = itertools.chain((first,), chunks)
            _scan_stream(chunks, scan)
        except DecompressError as exc:
            problems.append(str(exc))
            scan.end()
        if scan.banner is not None or scan.config_gz is not None:
            return _finish(fmt, kind, scan, header)
    if fmt not in RAW_FORMATS:
        raw = _scan_stream(_slices(data), _Scan())
        if raw.banner is not None or raw.config_gz is not None:
            return _finish(fmt, "none", raw, header)
    if not problems:
        problems.append("no kernel payload found")
    return KernelImageInfo(fmt, None, None, None, header, None, tuple(problems))


#: The kernel-image analyzer's record of a kernel image.
KERNEL_IMAGE: RecordKey[KernelImageInfo] = RecordKey("kernel_image", KernelImageInfo)
