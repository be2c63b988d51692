"""Unified kernel images (UKI): the ``.cmdline``, ``.uname`` and ``.osrel`` sections of a PE file.

A UKI is an EFI executable (PE/COFF) that bundles the EFI stub, the kernel (``.linux``), the
initrd and small text sections: ``.cmdline`` (the kernel command line it boots with),
``.uname`` (the kernel release) and ``.osrel`` (the ``os-release`` it was built for). They live
in ``EFI/Linux/*.efi`` of the EFI system partition. The reader walks the MZ header, the PE
header and the section table, then keeps only the bytes of those small sections and of the
kernel while the file streams past: memory stays bounded by :data:`MAX_HEADERS` plus
:data:`MAX_SECTION` per text section plus :data:`MAX_LINUX` for the kernel, whatever the size
of the initrd. The kernel is read like any kernel image
(:func:`analyzer.kerneldecode.image.inspect`): its version banner and, with
``CONFIG_IKCONFIG``, its embedded configuration.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from analyzer.errors import ImgauditError
from analyzer.kerneldecode.image import ImageFormat, KernelImageInfo, inspect
from analyzer.stream.records import RecordKey

#: The text sections kept, by name.
WANTED = (".cmdline", ".uname", ".osrel")
#: The headers and section table must lie within this many leading bytes.
MAX_HEADERS = 64 << 10
#: Largest text section kept (a command line is at most a few KiB).
MAX_SECTION = 64 << 10
#: The kernel section, read like a kernel image, and its largest size.
LINUX = ".linux"
MAX_LINUX = 128 << 20
#: The PE format's own limit on the number of sections.
MAX_SECTIONS = 96
_SECTION_ENTRY = 40
_COFF_HEADER = 20
_LFANEW_AT = 0x3C
_UKI_PATH = re.compile(r"/(?:boot/efi|efi|boot)/EFI/Linux/[^/]+\.efi", re.IGNORECASE)


class PeError(ImgauditError):
    """The bytes are not a PE image this reader understands."""


@dataclass(frozen=True, slots=True)
class PeSection:
    """One section table entry: name, file offset and size of its data in the file."""

    name: str
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class UkiInfo:
    """What a unified kernel image says: its text sections and what went wrong reading it.

    ``sections`` names every section in table order; ``cmdline_offset`` is the file offset of
    the ``.cmdline`` data, so a finding can say where in the file the parameter is; ``kernel``
    is what the ``.linux`` section revealed (``None`` when the image has none or it was not
    read, and ``problems`` says why).
    """

    cmdline: str | None = None
    uname: str | None = None
    osrel: str | None = None
    cmdline_offset: int | None = None
    sections: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    kernel: KernelImageInfo | None = None


def is_uki_path(path: str) -> bool:
    """True for ``EFI/Linux/*.efi`` under ``/boot/efi``, ``/efi`` or ``/boot``."""
    return _UKI_PATH.fullmatch(path) is not None


def parse_sections(head: bytes) -> tuple[PeSection, ...] | None:
    """The section table of a PE image from its leading bytes; ``None`` when more are needed.

    Raises :class:`PeError` when the bytes cannot be a PE image.
    """
    if len(head) < _LFANEW_AT + 4:
        return None
    if head[:2] != b"MZ":
        raise PeError("no MZ header: not an EFI executable")
    (pe_at,) = struct.unpack_from("<I", head, _LFANEW_AT)
    if pe_at + 4 + _COFF_HEADER > MAX_HEADERS:
        raise PeError(f"PE header offset {pe_at:#x} is beyond the first {MAX_HEADERS} bytes")
    if len(head) < pe_at + 4 + _COFF_HEADER:
        return None
    if head[pe_at : pe_at + 4] != b"PE\0\0":
        raise PeError(f"no PE signature at offset {pe_at:#x}")
    count, optional_size = struct.unpack_from("<2xH12xH", head, pe_at + 4)
    if count > MAX_SECTIONS:
        raise PeError(f"{count} sections is more than the PE limit of {MAX_SECTIONS}")
    table = pe_at + 4 + _COFF_HEADER + optional_size
    end = table + count * _SECTION_ENTRY
    if end > MAX_HEADERS:
        raise PeError(f"section table ends at {end:#x}, beyond the first {MAX_HEADERS} bytes")
    if len(head) < end:
        return None
    sections = []
    for index in range(count):
        raw_name, virtual_size, _, raw_size, raw_at = struct.unpack_from(
            "<8sIIII", head, table + index * _SECTION_ENTRY
        )
        name = raw_name.rstrip(b"\0").decode("ascii", "replace")
        size = virtual_size if 0 < virtual_size <= raw_size else raw_size
        sections.append(PeSection(name, raw_at, size))
    return tuple(sections)


class UkiReader:
    """A per-file sink: parses the headers from the first bytes, then copies wanted sections."""

    def __init__(self, head: bytes, size: int | None = None) -> None:
        self._size = size
        self._prefix = bytearray()
        self._offset = 0
        self._sections: tuple[PeSection, ...] | None = None
        self._data: dict[str, bytearray] = {}
        self._filled: dict[str, int] = {}
        self._problems: list[str] = []
        self._failed = False
        self.feed(head)

    @property
    def complete(self) -> bool:
        """True once every wanted section is filled, or the headers could not be parsed."""
        if self._failed:
            return True
        if self._sections is None:
            return False
        return all(self._filled[name] >= len(buffer) for name, buffer in self._data.items())

    def feed(self, block: bytes) -> None:
        """Take the next block of the file."""
        start = self._offset
        self._offset += len(block)
        if self._failed:
            return
        if self._sections is not None:
            self._copy(start, block)
            return
        self._prefix += block[: MAX_HEADERS - len(self._prefix)]
        try:
            sections = parse_sections(bytes(self._prefix))
        except PeError as exc:
            self._fail(str(exc))
            return
        if sections is None:
            if len(self._prefix) >= MAX_HEADERS:
                self._fail(f"no complete PE headers in the first {MAX_HEADERS} bytes")
            return
        self._start(sections)
        self._copy(0, bytes(self._prefix))
        if len(block) > len(self._prefix) - start:
            skipped = len(self._prefix) - start
            self._copy(start + skipped, block[skipped:])
        self._prefix = bytearray()

    def _fail(self, problem: str) -> None:
        self._failed = True
        self._prefix = bytearray()
        self._problems.append(problem)

    def _start(self, sections: tuple[PeSection, ...]) -> None:
        self._sections = sections
        for section in sections:
            if section.name == LINUX and section.name not in self._data:
                self._start_linux(section)
                continue
            if section.name not in WANTED or section.name in self._data:
                continue
            if section.size > MAX_SECTION:
                self._problems.append(
                    f"section {section.name} is {section.size} bytes, over the"
                    f" {MAX_SECTION}-byte limit; not read"
                )
                continue
            self._data[section.name] = bytearray(section.size)
            self._filled[section.name] = 0

    def _start_linux(self, section: PeSection) -> None:
        if section.size > MAX_LINUX:
            self._problems.append(
                f"section {LINUX} is {section.size} bytes, over the {MAX_LINUX}-byte limit;"
                " not read"
            )
        elif self._size is not None and section.offset + section.size > self._size:
            self._problems.append(f"section {LINUX} is cut short by the end of the file")
        elif section.size:
            self._data[LINUX] = bytearray(section.size)
            self._filled[LINUX] = 0

    def _copy(self, start: int, data: bytes) -> None:
        end = start + len(data)
        for section in self._sections or ():
            buffer = self._data.get(section.name)
            if buffer is None or section.offset >= end:
                continue
            low = max(start, section.offset)
            high = min(end, section.offset + section.size)
            if low < high:
                buffer[low - section.offset : high - section.offset] = data[
                    low - start : high - start
                ]
                self._filled[section.name] += high - low

    def close(self) -> UkiInfo:
        """End of file: the text sections found, and what could not be read."""
        problems = list(self._problems)
        if self._sections is None and not self._failed:
            problems.append(f"truncated PE image: {self._offset} bytes, no complete headers")
        texts: dict[str, str] = {}
        kernel = None
        for name, buffer in self._data.items():
            if self._filled[name] < len(buffer):
                problems.append(f"section {name} is cut short by the end of the file")
            elif name == LINUX:
                kernel = _inspect(bytes(buffer))
            else:
                texts[name] = buffer.decode("utf-8", "replace").rstrip("\0").strip()
        self._data = {}
        offset = next((s.offset for s in self._sections or () if s.name == ".cmdline"), None)
        return UkiInfo(
            cmdline=texts.get(".cmdline"),
            uname=texts.get(".uname") or None,
            osrel=texts.get(".osrel"),
            cmdline_offset=offset if ".cmdline" in texts else None,
            sections=tuple(s.name for s in self._sections or ()),
            problems=tuple(problems),
            kernel=kernel,
        )


def _inspect(data: bytes) -> KernelImageInfo:
    """The ``.linux`` section as a kernel image; a hostile one gives a record of the error."""
    try:
        return inspect(data)
    except Exception as exc:  # noqa: BLE001 - a hostile image must not stop the pass
        return KernelImageInfo(
            ImageFormat.UNKNOWN, problems=(f"cannot read kernel image: {exc!r}",)
        )


#: The kernel-image analyzer's record of a unified kernel image.
UKI: RecordKey[UkiInfo] = RecordKey("kernel_image", UkiInfo)
