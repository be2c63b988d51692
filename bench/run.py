"""``make bench``: scan a large rootfs archive and compare with ``bsdtar -xOf`` on the same file.

Builds (once, under ``bench-out/``) a rootfs tarball of at least ``--size`` MB from this
machine's ``/usr`` with the libarchive writer, as ``.tar`` and ``.tar.zst``. Each command runs
``--repeat`` times, each time in a fresh wrapper process whose ``RUSAGE_CHILDREN`` peak RSS is
the command's own. Prints wall time (best of the runs), the ratio to bsdtar and peak RSS, and
checks the targets: at most 1.3x bsdtar on ``.tar.zst`` and at most 200 MB peak RSS.
``--profile`` also prints a cProfile of one scan.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import libarchive

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
SOURCES = ("/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/share")
HOSTS = b"127.0.0.1 localhost\n::1 localhost\n"
MAX_RATIO_ZST = 1.3
MAX_RSS_MB = 200
MB = 1_000_000
#: Larger files are left out, so the archive has a rootfs-like number of entries.
MAX_FILE = 8 * MB

#: Runs argv with stdout discarded; prints wall seconds, the child's peak RSS (KiB) and status.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rss_kib": rss, "code": code}))
"""


@dataclass(frozen=True)
class Run:
    """Best wall time and highest peak RSS over the repeats of one command."""

    wall: float
    rss_mb: float
    code: int


def _walk(top: str) -> Iterator[tuple[str, int]]:
    """Directories and readable objects under ``top`` in sorted order, with file sizes."""
    for directory, dirs, names in os.walk(top):
        dirs.sort()
        yield directory, 0
        for name in sorted(names):
            path = os.path.join(directory, name)
            if os.path.islink(path):
                yield path, 0
            elif os.path.isfile(path) and os.access(path, os.R_OK):
                size = os.lstat(path).st_size
                if size <= MAX_FILE:
                    yield path, size


def _files(minimum: int) -> list[tuple[str, int]]:
    """Objects taken in turn from each of SOURCES (a rootfs-like mix of binaries, libraries
    and small data files) until the regular files add up to ``minimum`` bytes.
    """
    chosen: list[tuple[str, int]] = []
    total = 0
    walkers = [_walk(top) for top in SOURCES]
    while walkers and total < minimum:
        for walker in list(walkers):
            item = next(walker, None)
            if item is None:
                walkers.remove(walker)
                continue
            chosen.append(item)
            total += item[1]
    return chosen


def build(minimum_mb: int) -> list[Path]:
    """Write ``rootfs.tar`` and ``rootfs.tar.zst`` (reused when already there)."""
    OUT.mkdir(exist_ok=True)
    targets = [
        (OUT / f"rootfs-mix-{minimum_mb}.tar", None),
        (OUT / f"rootfs-mix-{minimum_mb}.tar.zst", "zstd"),
    ]
    missing = [(path, flt) for path, flt in targets if not path.exists()]
    if missing:
        files = _files(minimum_mb * MB)
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


def measure(argv: list[str], repeat: int) -> Run:
    """Run ``argv`` ``repeat`` times, each in a fresh wrapper."""
    results = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, *argv], capture_output=True, check=True, cwd=ROOT
        )
        results.append(json.loads(done.stdout))
    return Run(
        min(r["wall"] for r in results),
        max(r["rss_kib"] for r in results) / 1024,
        max(r["code"] for r in results),
    )


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


def main() -> int:
    """Build, measure, print, and return 1 when a target is missed (with ``--check``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=160, help="minimum archive size in MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one scan")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    missed = []
    header = f"{'input':<24} {'MB':>7} {'bsdtar s':>9} {'scan s':>8} {'ratio':>6}"
    header += f" {'scan RSS MB':>12} {'bsdtar RSS MB':>14}"
    print(header)
    empty = OUT / "empty-rootfs"
    empty.mkdir(parents=True, exist_ok=True)
    startup = measure(
        [
            sys.executable,
            "-m",
            "analyzer",
            "scan",
            str(empty),
            "--format",
            "json",
            "-o",
            os.devnull,
        ],
        args.repeat,
    )
    print(f"{'(empty directory)':<24} {0:>7.1f} {'':>9} {startup.wall:>8.2f} {'':>6}"
          f" {startup.rss_mb:>12.1f}")  # fmt: skip
    for path in build(args.size):
        bsdtar = measure(["bsdtar", "-xOf", str(path)], args.repeat)
        scan = measure(
            [
                sys.executable,
                "-m",
                "analyzer",
                "scan",
                str(path),
                "--format",
                "json",
                "-o",
                os.devnull,
            ],
            args.repeat,
        )
        ratio = scan.wall / bsdtar.wall
        size = path.stat().st_size / MB
        print(
            f"{path.name:<24} {size:>7.1f} {bsdtar.wall:>9.2f} {scan.wall:>8.2f} {ratio:>5.2f}x"
            f" {scan.rss_mb:>12.1f} {bsdtar.rss_mb:>14.1f}"
        )
        if scan.code not in (0, 1) or bsdtar.code != 0:
            missed.append(f"{path.name}: exit codes scan={scan.code} bsdtar={bsdtar.code}")
        if path.suffix == ".zst" and ratio > MAX_RATIO_ZST:
            missed.append(f"{path.name}: {ratio:.2f}x bsdtar (target <= {MAX_RATIO_ZST}x)")
        if scan.rss_mb > MAX_RSS_MB:
            missed.append(f"{path.name}: peak RSS {scan.rss_mb:.0f} MB (target <= {MAX_RSS_MB} MB)")
    for line in missed:
        print(f"target missed: {line}")
    if not missed:
        print(f"targets met: <= {MAX_RATIO_ZST}x bsdtar on .tar.zst, <= {MAX_RSS_MB} MB peak RSS")
    if args.profile:
        print(profile(build(args.size)[1], 30))
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
