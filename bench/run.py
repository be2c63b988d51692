"""``make bench``: every benchmark, then one summary table with the targets checked.

1. Root file system archives. Builds (once, under ``bench-out/``) a rootfs-like tarball from
   this machine's ``/usr``: first many small files (``/usr/share/doc``, ``locale``, ``man``)
   until ``--entries`` objects, then binaries and libraries (``/usr/bin``, the multiarch
   library directory) until ``--size`` MB, as ``.tar`` and ``.tar.zst``. Scans each with the
   default profile and compares with ``bsdtar -xOf`` on the same file. The scan of an empty
   directory, the fixed cost of every scan, is compared with the interpreter's own start.
2. ELF analyzer throughput (``bench/elf_bench.py``) next to ``scanelf``.
3. A multi-layer container image (``bench/container_bench.py``) next to ``bsdtar -xOf`` on
   every layer blob.
4. ``bench/disk_bench.py``, ``bench/kconfig_bench.py``, ``bench/layouts_bench.py`` and
   ``bench/configs_bench.py`` (a real Debian kernel's ``configs.ko``, downloaded) when present,
   as they print.

Each command runs ``--repeat`` times, each in a fresh wrapper process whose
``RUSAGE_CHILDREN`` peak RSS is the command's own; wall time is the best run. Scans run the way
an installed tool does, with its bytecode cached (under ``bench-out/pycache``, warmed first),
whatever ``PYTHONDONTWRITEBYTECODE`` says. Targets: at most 1.3x bsdtar on ``.tar.zst``, at
most 200 MB peak RSS, at least 1000 ELF files/s on one core. ``--profile`` also prints a
cProfile of one scan of the ``.tar.zst``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import libarchive
from measure import measure

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
#: Small files first (a real rootfs has many), then binaries and libraries for the bulk.
SMALL = ("/usr/share/doc", "/usr/share/locale", "/usr/share/man")
LARGE = ("/usr/bin", "/usr/lib/x86_64-linux-gnu")
HOSTS = b"127.0.0.1 localhost\n::1 localhost\n"
MAX_RATIO_ZST = 1.3
MAX_RSS_MB = 200
MIN_ELF_RATE = 1000
MB = 1_000_000
#: Larger files are left out, so the archive has a rootfs-like number of entries.
MAX_FILE = 8 * MB
#: Largest file taken in the small-files part.
SMALL_FILE = 64 * 1024
#: Other benchmarks run as they are, when present.
EXTRA = (
    "disk_bench.py",
    "kconfig_bench.py",
    "configs_bench.py",
    "fleet_bench.py",
    "layouts_bench.py",
)


@dataclass(frozen=True)
class Row:
    """One line of the summary: a measurement next to its baseline (``None`` when none)."""

    name: str
    baseline: float | None
    ours: float
    rss_mb: float | None
    unit: str = "s"

    @property
    def ratio(self) -> float | None:
        """How many times longer than the baseline ours takes (for rates too)."""
        if not self.baseline or not self.ours:
            return None
        return self.baseline / self.ours if self.unit == "/s" else self.ours / self.baseline


def _walk(top: str, largest: int) -> Iterator[tuple[str, int]]:
    """Directories and readable objects under ``top`` in sorted order, with file sizes; files
    over ``largest`` bytes are left out.
    """
    for directory, dirs, names in os.walk(top):
        dirs.sort()
        yield directory, 0
        for name in sorted(names):
            path = os.path.join(directory, name)
            if os.path.islink(path):
                yield path, 0
            elif os.path.isfile(path) and os.access(path, os.R_OK):
                size = os.lstat(path).st_size
                if size <= largest:
                    yield path, size


def _round_robin(
    tops: tuple[str, ...], largest: int, done: Callable[[], bool]
) -> Iterator[tuple[str, int]]:
    walkers = [_walk(top, largest) for top in tops if os.path.isdir(top)]
    while walkers and not done():
        for walker in list(walkers):
            item = next(walker, None)
            if item is None:
                walkers.remove(walker)
            else:
                yield item


def _files(minimum: int, entries: int) -> list[tuple[str, int]]:
    """``entries`` objects from SMALL (one tree after the other, as a rootfs lists them), then
    objects from LARGE (in turn, a mix of binaries and libraries) until ``minimum`` bytes.
    """
    chosen: list[tuple[str, int]] = []
    for top in SMALL:
        for item in _walk(top, SMALL_FILE):
            if len(chosen) >= entries:
                break
            chosen.append(item)
    total = sum(size for _, size in chosen)

    def enough() -> bool:
        return total >= minimum

    for item in _round_robin(LARGE, MAX_FILE, enough):
        chosen.append(item)
        total += item[1]
    return chosen


def build(minimum_mb: int, entries: int) -> list[Path]:
    """Write the ``.tar`` and ``.tar.zst`` rootfs archives (reused when already there)."""
    OUT.mkdir(exist_ok=True)
    stem = f"rootfs-{minimum_mb}mb-{entries}"
    targets = [(OUT / f"{stem}.tar", None), (OUT / f"{stem}.tar.zst", "zstd")]
    missing = [(path, flt) for path, flt in targets if not path.exists()]
    if missing:
        files = _files(minimum_mb * MB, entries)
        for path, flt in missing:
            partial = path.with_suffix(path.suffix + ".part")
            with libarchive.file_writer(str(partial), "pax", filter_name=flt) as out:
                out.add_file_from_memory("etc/hosts", len(HOSTS), HOSTS, permission=0o644)
                for host_path, _ in files:
                    out.add_files(
                        host_path,
                        recursive=False,
                        pathname=host_path.lstrip("/"),
                        symlink_mode="physical",
                    )
            partial.rename(path)
    return [path for path, _ in targets]


def count_entries(path: Path) -> int:
    """Entries in an archive."""
    with libarchive.file_reader(str(path)) as archive:
        return sum(1 for _ in archive)


def scan_argv(target: Path) -> list[str]:
    """The default-profile scan of ``target``, report discarded."""
    return [sys.executable, "-m", "analyzer", "scan", str(target), "--format", "json",
            "-o", os.devnull]  # fmt: skip


def installed_environment() -> None:
    """Make child interpreters cache bytecode (as an installed tool has it), out of the tree."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")


def profile(path: Path, top: int) -> str:
    """cProfile of one in-process scan, sorted by internal time."""
    sys.path.insert(0, str(ROOT))
    from analyzer.pipeline import Config, analyze

    profiler = cProfile.Profile()
    profiler.enable()
    analyze(Config(str(path)))
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def rootfs_rows(size: int, entries: int, repeat: int) -> list[Row]:
    """Scan the empty directory and both archives; print the section table."""
    empty = OUT / "empty-rootfs"
    empty.mkdir(parents=True, exist_ok=True)
    measure(scan_argv(empty), 1)  # compiles and caches the bytecode
    startup = measure(scan_argv(empty), repeat)
    interpreter = measure([sys.executable, "-c", "pass"], repeat)
    rows = [Row("rootfs: empty directory", interpreter.wall, startup.wall, startup.rss_mb)]
    for path in build(size, entries):
        bsdtar = measure(["bsdtar", "-xOf", str(path)], repeat)
        scan = measure(scan_argv(path), repeat)
        label = f"rootfs: {path.name}"
        rows.append(Row(label, bsdtar.wall, scan.wall, scan.rss_mb))
        print(
            f"{label}: {path.stat().st_size / MB:.1f} MB, {count_entries(path)} entries;"
            f" bsdtar {bsdtar.wall:.2f} s, scan {scan.wall:.2f} s (exit {scan.code})"
        )
    return rows


def elf_rows() -> list[Row]:
    """ELF analyzer files/s (CPU, one core) next to scanelf's (wall)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import elf_bench

    count, spent = elf_bench.analyzer_only(elf_bench.DEFAULT_DIRS)
    found = elf_bench.scanelf(elf_bench.DEFAULT_DIRS)
    rate = count / spent
    baseline = found[0] / found[1] if found else None
    print(f"elf: {count} ELF files in {spent:.3f} s CPU = {rate:.0f} files/s")
    return [Row("elf analyzer (files/s)", baseline, rate, None, unit="/s")]


def container_rows(size: int, repeat: int) -> list[Row]:
    """The container benchmark's rows against its bsdtar baseline."""
    sys.path.insert(0, str(ROOT / "bench"))
    import container_bench

    title, rows = container_bench.run(size, repeat)
    print(title)
    baseline = rows[0][1].wall
    return [Row(f"container: {name}", baseline, run.wall, run.rss_mb) for name, run in rows[1:]]


def extra(name: str) -> int:
    """Run another benchmark as it is; its own output goes to ours."""
    print(f"== bench/{name}", flush=True)
    command = [sys.executable, str(ROOT / "bench" / name)]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def summary(rows: list[Row]) -> list[str]:
    """Print the summary table; return the targets missed."""
    print(f"\n{'benchmark':<40} {'baseline':>10} {'ours':>10} {'ratio':>7} {'peak RSS MB':>12}")
    missed = []
    for row in rows:
        base = f"{row.baseline:.2f}" if row.baseline is not None else ""
        ours = f"{row.ours:.0f}" if row.unit == "/s" else f"{row.ours:.2f}"
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        rss = f"{row.rss_mb:.1f}" if row.rss_mb is not None else ""
        base = f"{row.baseline:.0f}" if row.unit == "/s" and row.baseline else base
        print(f"{row.name:<40} {base:>10} {ours:>10} {ratio:>7} {rss:>12}")
        if row.name.endswith(".tar.zst") and row.ratio is not None and row.ratio > MAX_RATIO_ZST:
            missed.append(f"{row.name}: {row.ratio:.2f}x bsdtar (target <= {MAX_RATIO_ZST}x)")
        if row.rss_mb is not None and row.rss_mb > MAX_RSS_MB:
            missed.append(f"{row.name}: peak RSS {row.rss_mb:.0f} MB (target <= {MAX_RSS_MB})")
        if row.unit == "/s" and row.ours < MIN_ELF_RATE:
            missed.append(f"{row.name}: {row.ours:.0f} files/s (target >= {MIN_ELF_RATE})")
    return missed


def main() -> int:
    """Run everything, print the summary; 1 when a target is missed (with ``--check``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=160, help="minimum archive size in MB")
    parser.add_argument("--entries", type=int, default=12000, help="small files in the rootfs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only-rootfs", action="store_true", help="skip the other benchmarks")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one scan")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    installed_environment()
    rows = rootfs_rows(args.size, args.entries, args.repeat)
    failed = []
    if not args.only_rootfs:
        rows += elf_rows()
        rows += container_rows(args.size, args.repeat)
        for name in EXTRA:
            if (ROOT / "bench" / name).exists() and extra(name) != 0:
                failed.append(f"bench/{name} exited with an error")
    missed = summary(rows) + failed
    for line in missed:
        print(f"target missed: {line}")
    if not missed:
        print(f"targets met: <= {MAX_RATIO_ZST}x bsdtar on .tar.zst, <= {MAX_RSS_MB} MB peak RSS,"
              f" >= {MIN_ELF_RATE} ELF files/s")  # fmt: skip
    if args.profile:
        print(profile(build(args.size, args.entries)[1], 30))
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
