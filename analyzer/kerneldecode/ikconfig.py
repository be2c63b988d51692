"""The kernel configuration that ``CONFIG_IKCONFIG=m`` builds into the ``configs`` module.

With ``CONFIG_IKCONFIG=m`` the configuration is not in the kernel image but in
``/lib/modules/R/kernel/kernel/configs.ko`` (plain, or compressed by
``CONFIG_MODULE_COMPRESS_*``: ``.ko.xz``, ``.ko.zst``, ``.ko.gz``): an ELF object whose
read-only data holds the gzip payload between the ``IKCFG_ST`` and ``IKCFG_ED`` markers, the
same blob ``scripts/extract-ikconfig`` looks for. Its ``.modinfo`` ``vermagic=`` names the
release it was built for. With ``CONFIG_IKCONFIG_PROC=y``, loading the module makes the
configuration readable as ``/proc/config.gz``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.kerneldecode.decompress import DecompressError, stream
from analyzer.kerneldecode.image import embedded_config
from analyzer.stream.records import RecordKey

#: Largest ``configs.ko`` read (a real one is 40-200 KiB), and its largest decompressed size.
MAX_MODULE_BYTES = 8 << 20
MAX_MODULE_OUTPUT = 32 << 20
_PATH = re.compile(r"/(?:usr/)?lib/modules/[^/]+/kernel/kernel/configs\.ko(\.xz|\.zst|\.gz)?")
_COMPRESSION = {"": "none", ".xz": "xz", ".zst": "zstd", ".gz": "gzip"}
_VERMAGIC = re.compile(rb"vermagic=([\x21-\x7e]+)")
ELF_MAGIC = b"\x7fELF"


@dataclass(frozen=True, slots=True)
class ConfigsModule:
    """What a ``configs.ko`` holds: the configuration text, its release, what went wrong.

    ``compression`` is ``none``, ``xz``, ``zstd`` or ``gzip`` (from the file name).
    """

    compression: str
    config: str | None = None
    vermagic: str | None = None
    problems: tuple[str, ...] = ()


def configs_module_compression(path: str) -> str | None:
    """The compression of ``path`` when it is a release's ``configs.ko``, else ``None``."""
    match = _PATH.fullmatch(path)
    return _COMPRESSION[match.group(1) or ""] if match else None


def read_configs_module(data: bytes, compression: str) -> ConfigsModule:
    """Decompress the module file and take the configuration out of it."""
    raw = data
    if compression != "none":
        try:
            raw = b"".join(stream(compression, data, MAX_MODULE_OUTPUT))
        except DecompressError as exc:
            return ConfigsModule(compression, problems=(f"cannot decompress: {exc}",))
    if not raw.startswith(ELF_MAGIC):
        return ConfigsModule(compression, problems=("not an ELF object",))
    config, problems = embedded_config(raw)
    if config is None and not problems:
        problems = ("no IKCFG_ST ... IKCFG_ED configuration payload in the module",)
    found = _VERMAGIC.search(raw)
    vermagic = found.group(1).decode("ascii") if found else None
    return ConfigsModule(compression, config, vermagic, problems)


#: The kernel-image analyzer's record of a ``configs.ko``.
CONFIGS_MODULE: RecordKey[ConfigsModule] = RecordKey("kernel_image", ConfigsModule)
