"""Synthetic kernel images, built at test time with the real compressors.

A fake ``vmlinux`` holds a ``Linux version`` banner and an ``IKCFG_ST <gzip> IKCFG_ED`` blob
between filler bytes; :func:`bzimage` wraps a compressed payload in a minimal x86 setup header,
:func:`arm64_image` puts the arm64 ``Image`` header in front of the raw kernel, and
:func:`pe_image` lays out a minimal PE (a unified kernel image's container).
"""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import subprocess
import tempfile

import pytest

#: Compression name -> command writing the compressed form of stdin to stdout (kernel flags).
COMPRESSORS: dict[str, list[str]] = {
    "gzip": ["gzip", "-9", "-n", "-c"],
    "xz": ["xz", "--check=crc32", "-6", "-c"],
    "lzma": ["lzma", "-9", "-c"],
    "bzip2": ["bzip2", "-9", "-c"],
    "lzo": ["lzop", "-9", "-c"],
    "lz4": ["lz4", "-l", "-9", "-c"],
    "zstd": ["zstd", "-19", "-c", "-q"],
}

SAMPLE_CONFIG = """\
#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.0 Kernel Configuration
#
CONFIG_CGROUPS=y
CONFIG_MEMCG=y
# CONFIG_NF_CONNTRACK is not set
CONFIG_LOCALVERSION="-test"
CONFIG_IKCONFIG=y
"""


def compress(kind: str, data: bytes) -> bytes:
    """Compress with the command-line tool; skips the test when the tool is missing."""
    command = COMPRESSORS[kind]
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (apt-get install {command[0]})")
    done = subprocess.run(command, input=data, capture_output=True, check=True)
    return done.stdout


def vmlinux(
    release: str = "6.1.0-test",
    config: str | None = SAMPLE_CONFIG,
    filler: int = 300_000,
) -> bytes:
    """A fake decompressed kernel: filler, banner, filler, IKCONFIG blob (when ``config``)."""
    noise = os.urandom(filler // 4) * 2
    banner = (
        f"Linux version {release} (builder@example) (gcc (Debian 12.2.0-14) 12.2.0) "
        f"#1 SMP PREEMPT_DYNAMIC Debian 6.1.0\n\x00"
    ).encode()
    blob = b"IKCFG_ST" + gzip.compress(config.encode(), mtime=0) + b"IKCFG_ED" if config else b""
    return b"\x7fELF" + noise + banner + noise + blob + noise


def bzimage(payload: bytes, header_release: str = "6.1.0-test (builder@example) #1") -> bytes:
    """A minimal x86 bzImage: one setup sector plus the boot sector, then the payload."""
    setup_sects = 1
    setup = bytearray((setup_sects + 1) * 512)
    setup[0x1F1] = setup_sects
    setup[0x202:0x206] = b"HdrS"
    setup[0x206:0x208] = (0x020F).to_bytes(2, "little")
    version_at = 0x300
    setup[0x20E:0x210] = (version_at - 0x200).to_bytes(2, "little")
    text = header_release.encode() + b"\x00"
    setup[version_at : version_at + len(text)] = text
    lead = b"\x90" * 0x100
    setup[0x248:0x24C] = len(lead).to_bytes(4, "little")
    setup[0x24C:0x250] = len(payload).to_bytes(4, "little")
    return bytes(setup) + lead + payload + b"\x00\x00\x00\x00"


def arm64_image(kernel: bytes) -> bytes:
    """An arm64 ``Image``: the 64-byte header with ``ARM\\x64`` at offset 56, then the kernel."""
    header = bytearray(64)
    header[56:60] = b"ARM\x64"
    header[16:24] = (len(kernel) + 64).to_bytes(8, "little")
    return bytes(header) + kernel


#: Layout of :func:`pe_image`: headers padded to this size, each section to FILE_ALIGN.
PE_HEADERS = 0x400
FILE_ALIGN = 0x200


def pe_image(sections: list[tuple[str, bytes]]) -> bytes:
    """A minimal x86-64 EFI application (PE32+) whose sections hold ``sections`` in order.

    DOS header with ``e_lfanew``, ``PE\\0\\0``, COFF header, a 240-byte optional header (16
    data directories), the section table, then each section's data at a ``FILE_ALIGN``
    boundary; ``VirtualSize`` is the data's exact length, as ``ukify`` writes it.
    """
    optional = bytearray(240)
    optional[0:2] = (0x20B).to_bytes(2, "little")  # PE32+
    optional[32:40] = (0x1000).to_bytes(4, "little") + FILE_ALIGN.to_bytes(4, "little")
    optional[60:64] = PE_HEADERS.to_bytes(4, "little")  # SizeOfHeaders
    optional[68:70] = (10).to_bytes(2, "little")  # EFI application
    optional[108:112] = (16).to_bytes(4, "little")
    coff = struct.pack("<HHIIIHH", 0x8664, len(sections), 0, 0, 0, len(optional), 0x0206)
    table = bytearray()
    body = bytearray()
    offset = PE_HEADERS
    address = 0x1000
    for name, data in sections:
        raw = len(data) + (-len(data) % FILE_ALIGN)
        table += struct.pack(
            "<8sIIIIIIHHI", name.encode(), len(data), address, raw, offset, 0, 0, 0, 0, 0x40000040
        )
        body += data + b"\x00" * (raw - len(data))
        offset += raw
        address += raw + (-raw % 0x1000)
    optional[56:60] = address.to_bytes(4, "little")  # SizeOfImage
    dos = bytearray(0x40)
    dos[0:2] = b"MZ"
    dos[0x3C:0x40] = len(dos).to_bytes(4, "little")
    headers = bytes(dos) + b"PE\x00\x00" + coff + bytes(optional) + bytes(table)
    if len(headers) > PE_HEADERS:
        raise ValueError("too many sections for the header size")
    return headers + b"\x00" * (PE_HEADERS - len(headers)) + bytes(body)


def configs_ko(config: str, release: str = "6.1.0-test") -> bytes:
    """A ``configs.ko``-like ELF relocatable object, built with ``objcopy``.

    Its ``.rodata`` holds ``IKCFG_ST``, the gzip of ``config`` and ``IKCFG_ED`` (what
    ``kernel/configs.c`` assembles); its ``.modinfo`` the license and ``vermagic``.
    """
    if shutil.which("objcopy") is None:
        pytest.skip("objcopy is not installed (apt-get install binutils)")
    with tempfile.TemporaryDirectory() as work:
        payload = os.path.join(work, "config_data")
        modinfo = os.path.join(work, "modinfo")
        target = os.path.join(work, "configs.ko")
        with open(payload, "wb") as out:
            out.write(b"IKCFG_ST" + gzip.compress(config.encode(), mtime=0) + b"IKCFG_ED")
        with open(modinfo, "wb") as out:
            out.write(f"license=GPL v2\0vermagic={release} SMP mod_unload \0".encode())
        subprocess.run(
            ["objcopy", "-I", "binary", "-O", "elf64-x86-64", "-B", "i386:x86-64",
             "--rename-section", ".data=.rodata,alloc,load,readonly,data,contents",
             payload, target],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            ["objcopy", f"--add-section=.modinfo={modinfo}", target],
            check=True,
            capture_output=True,
        )
        with open(target, "rb") as result:
            return result.read()
