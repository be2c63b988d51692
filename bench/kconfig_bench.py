"""Kernel packs on a real kernel configuration, next to docker's ``check-config.sh`` on that file.

Usage: ``python bench/kconfig_bench.py [--repeat N] [--config FILE.gz]``. Writes a tiny rootfs
(``bench-out/kconfig-rootfs``) holding the configuration as ``/boot/config-R`` and an
``/etc/hosts``, then times, each ``--repeat`` times in a fresh wrapper process:

- ``imgaudit``: ``python -m analyzer scan ROOTFS --profile k0s --profile kubernetes
  --profile docker --format json`` (interpreter start-up and rule loading included);
- ``check-config.sh``: Debian's copy of moby's script (package ``docker.io``) with the
  configuration path as its argument.

Prints the median and best wall time of each, their ratio (medians), each command's peak RSS,
and the median time of the ``analyze()`` call alone, in process, after one warm-up run.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

from measure import measure

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out" / "kconfig-rootfs"
FIXTURE = ROOT / "fixtures" / "kconfig" / "config-6.1.0-56-cloud-amd64.gz"
CHECK_CONFIG = Path("/usr/share/docker.io/contrib/check-config.sh")
PROFILES = ("k0s", "kubernetes", "docker")


def rootfs(config_gz: Path) -> tuple[Path, Path]:
    """The tiny rootfs and its ``/boot/config-R`` (the release is taken from the file name)."""
    release = config_gz.name.removeprefix("config-").removesuffix(".gz")
    config = OUT / "boot" / f"config-{release}"
    config.parent.mkdir(parents=True, exist_ok=True)
    (OUT / "etc").mkdir(exist_ok=True)
    (OUT / "etc" / "hosts").write_text("127.0.0.1 localhost\n", encoding="utf-8")
    config.write_bytes(gzip.decompress(config_gz.read_bytes()))
    return OUT, config


def in_process(target: Path, repeat: int) -> tuple[float, int]:
    """Median seconds of ``analyze()`` alone (after a warm-up), and the evaluation count."""
    sys.path.insert(0, str(ROOT))
    from analyzer.pipeline import Config, analyze

    config = Config(str(target), profiles=PROFILES)
    count = len(analyze(config).evaluations)
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        analyze(config)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), count


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--config", type=Path, default=FIXTURE, help="a config-R.gz file")
    args = parser.parse_args()
    target, config = rootfs(args.config)
    scan = [sys.executable, "-m", "analyzer", "scan", str(target), "--format", "json"]
    for profile in PROFILES:
        scan += ["--profile", profile]
    ours = measure([*scan, "-o", os.devnull], args.repeat)
    library, evaluations = in_process(target, args.repeat)
    print(f"configuration: {config.relative_to(ROOT)} ({config.stat().st_size} bytes)")
    print(f"repeats: {args.repeat}; imgaudit evaluations: {evaluations}")
    print(f"{'command':<28} {'median s':>9} {'best s':>8} {'peak RSS MB':>12} {'exit':>6}")
    row = "{:<28} {:>9.3f} {:>8.3f} {:>12.1f} {:>6}"
    print(row.format("imgaudit scan (3 profiles)", ours.median, ours.wall, ours.rss_mb,
                     ",".join(map(str, ours.codes))))  # fmt: skip
    print(f"{'  analyze() in process':<28} {library:>9.3f}")
    if not CHECK_CONFIG.exists():
        print(f"{CHECK_CONFIG} is missing (apt-get install docker.io): no comparison")
        return 0
    theirs = measure(["bash", str(CHECK_CONFIG), str(config)], args.repeat)
    print(row.format("check-config.sh", theirs.median, theirs.wall, theirs.rss_mb,
                     ",".join(map(str, theirs.codes))))  # fmt: skip
    print(f"ratio (median wall, imgaudit / check-config.sh): {ours.median / theirs.median:.2f}x")
    print(f"ratio (analyze() alone / check-config.sh): {library / theirs.median:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
