"""A real Debian kernel whose configuration is only in ``configs.ko``, scanned from its modules.

Usage: ``python bench/configs_bench.py [--repeat N] [--package NAME]``. Downloads the package
with ``apt-get download`` (network needed) into ``bench-out/debs``, unpacks it with
``dpkg-deb -x`` and finds the modules directory that holds ``kernel/kernel/configs.ko``.
Debian's kernels for the usual architectures (``linux-image-*``) are built with
``CONFIG_IKCONFIG`` off; ``user-mode-linux`` (the kernel as a Linux program) is built with
``CONFIG_IKCONFIG=m`` and ``CONFIG_IKCONFIG_PROC=y``, so it is the default.

Then, for the module as shipped and recompressed as ``.ko.xz``, ``.ko.zst`` and ``.ko.gz``, it
writes a tree holding only ``/lib/modules/R`` (and ``/etc/hosts``) and scans it:

- every ``k0s.kconfig.*`` rule must be evaluated from the module, at the module's path, and the
  configuration must equal the package's own copy of it (``/usr/share/doc/*/config.gz``);
- ``k0s.kernel.config-runtime`` must warn, and pass once ``/etc/modules-load.d/k0s.conf``
  lists ``configs``.

Prints what it saw, and the wall time and peak RSS of the command-line scan. Exits 1 when an
expectation does not hold.
"""

from __future__ import annotations

import argparse
import gzip
import lzma
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import zstandard
from measure import measure

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
CONFIGS = Path("kernel/kernel/configs.ko")
RUNTIME = "k0s.kernel.config-runtime"
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda data: data,
    ".xz": lambda data: lzma.compress(data, check=lzma.CHECK_CRC32),
    ".zst": lambda data: zstandard.ZstdCompressor(level=19).compress(data),
    ".gz": lambda data: gzip.compress(data, mtime=0),
}


def unpack(package: str) -> tuple[Path, str]:
    """The package unpacked under ``bench-out``, and ``name version``."""
    debs = OUT / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", package], cwd=debs, check=True)
        found = sorted(debs.glob(f"{package}_*.deb"))
    deb = found[-1]
    tree = OUT / f"{package}-unpacked"
    if not tree.exists():
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Package", "Version"],
        capture_output=True,
        text=True,
        check=True,
    )
    name, version = (line.split(": ", 1)[1] for line in fields.stdout.splitlines())
    return tree, f"{name} {version}"


def rootfs(modules: Path, suffix: str, loads: bool) -> Path:
    """``/lib/modules/R`` from the package (``configs.ko`` compressed as asked) and hosts."""
    release = modules.name
    target = OUT / f"configs-rootfs{suffix or '.ko'}{'-loaded' if loads else ''}"
    if target.exists():
        shutil.rmtree(target)
    copy = target / "lib" / "modules" / release
    shutil.copytree(modules, copy, symlinks=True)
    plain = copy / CONFIGS
    if suffix:
        plain.with_name(plain.name + suffix).write_bytes(COMPRESS[suffix](plain.read_bytes()))
        plain.unlink()
        dep = copy / "modules.dep"
        listed = str(CONFIGS)
        dep.write_text(dep.read_text().replace(f"{listed}:", f"{listed}{suffix}:"))
    (target / "etc").mkdir()
    (target / "etc" / "hosts").write_text("127.0.0.1 localhost\n")
    if loads:
        (target / "etc" / "modules-load.d").mkdir()
        (target / "etc" / "modules-load.d" / "k0s.conf").write_text("configs\n")
    return target


def check(target: Path, module: str, expected: str, loads: bool) -> list[str]:
    """Scan in process; return what did not hold."""
    sys.path.insert(0, str(ROOT))
    from analyzer.facts import KERNELS
    from analyzer.pipeline import Config, analyze

    result = analyze(Config(str(target), role="worker"))
    kconfig = [e for e in result.evaluations if e.rule_id.startswith("k0s.kconfig.")]
    at_module = [e for e in kconfig if e.location is not None and e.location.path == module]
    unknown = [e.rule_id for e in kconfig if e.outcome.value == "unknown"]
    failed = sorted(
        {f"{e.rule_id} ({e.outcome.value})" for e in kconfig}
        - {f"{e.rule_id} (pass)" for e in kconfig}
    )
    runtime = [e for e in result.evaluations if e.rule_id == RUNTIME]
    kernels = result.facts.value(KERNELS) or ()
    config = kernels[0].config if kernels else None
    print(f"  {module}: {len(kconfig)} kconfig rules, {len(at_module)} located at the module,"
          f" {len(unknown)} unknown; not passing: {', '.join(failed) or 'none'}")  # fmt: skip
    for evaluation in runtime:
        print(f"  {RUNTIME}: {evaluation.outcome.value} ({evaluation.level.value}):"
              f" {evaluation.message}")  # fmt: skip
    problems = []
    if not kconfig or len(at_module) != len(kconfig) or unknown:
        problems.append(f"{module}: not every kconfig rule was evaluated from the module")
    seen = {name: symbol.describe() for name, symbol in config.symbols.items()} if config else {}
    if not seen or seen != parse_expected(expected):
        problems.append(f"{module}: the configuration differs from the package's config.gz")
    outcome = "pass" if loads else "fail"
    if [e.outcome.value for e in runtime] != [outcome]:
        problems.append(f"{module}: {RUNTIME} is not {outcome}")
    return problems


def parse_expected(text: str) -> dict[str, str]:
    """Symbols of the package's own configuration, parsed as the scan parses them."""
    sys.path.insert(0, str(ROOT))
    from analyzer.kernel.kconfig import parse_text

    return {name: symbol.describe() for name, symbol in parse_text(text).symbols.items()}


def main() -> int:
    """Download, unpack, scan every variant, print what was seen."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--package", default="user-mode-linux")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tree, identity = unpack(args.package)
    modules = next(path.parents[2] for path in tree.rglob(str(CONFIGS)))
    docs = sorted(tree.glob("usr/share/doc/*/config.gz"))
    expected = gzip.decompress(docs[0].read_bytes()).decode() if docs else ""
    print(f"package: {identity}; modules: /{modules.relative_to(tree)}; release {modules.name}")
    ikconfig = [line for line in expected.splitlines() if line.startswith("CONFIG_IKCONFIG")]
    print(f"its configuration says: {', '.join(ikconfig) or 'no CONFIG_IKCONFIG lines'}")
    problems = []
    for suffix in COMPRESS:
        for loads in (False, True):
            target = rootfs(modules, suffix, loads)
            module = f"/lib/modules/{modules.name}/{CONFIGS}{suffix}"
            problems += check(target, module, expected, loads)
    target = rootfs(modules, "", False)
    argv = [sys.executable, "-m", "analyzer", "scan", str(target), "--format", "sarif",
            "-o", os.devnull]  # fmt: skip
    run = measure(argv, args.repeat)
    print(f"command-line scan of the modules tree: best {run.wall:.2f} s, median"
          f" {run.median:.2f} s, peak RSS {run.rss_mb:.1f} MB, exit {run.code}")  # fmt: skip
    for problem in problems:
        print(f"expectation not met: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
