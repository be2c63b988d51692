"""Facts about kernel symbols that a configuration file does not say itself.

:data:`MODULE_OF` names the modules a tristate symbol builds when it is ``=m`` (from the
``obj-$(CONFIG_X) += name.o`` lines of the kernel's Makefiles), so ``=m`` can be checked
against the modules that actually ship; :data:`BUILTIN_ONLY` lists the ``bool`` symbols, which
are never modules. Both are data, ``analyzer/data/kernel-modules.yaml``; every symbol a bundled
pack accepts as ``=m`` is in one of the two (a test holds the packs to it). Version history is
in :mod:`analyzer.kernel.history`.
"""

from __future__ import annotations

from analyzer.kernel.data import mapping, read_table, strings

_TABLE = read_table("kernel-modules.yaml")

#: Modules built by each tristate symbol the rule packs ask about (without ``CONFIG_``);
#: several when the name changed between kernel versions (either one counts).
MODULE_OF: dict[str, tuple[str, ...]] = {
    symbol: strings(names, f"modules.{symbol}")
    for symbol, names in mapping(_TABLE["modules"], "modules").items()
}

#: Symbols the rule packs name that Kconfig declares ``bool``: they are ``y`` or off, never a
#: module, so there is no module file to look for.
BUILTIN_ONLY: frozenset[str] = frozenset(strings(_TABLE["builtin_only"], "builtin_only"))


def parse_version(release: str) -> tuple[int, ...] | None:
    """``6.1.0-13-amd64`` gives ``(6, 1, 0)``; ``None`` when it does not start with a number."""
    parts: list[int] = []
    for piece in release.split(".")[:3]:
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts) if len(parts) >= 2 else None
