"""Distribution layouts in every disk format: exit code, wall time and peak RSS of each scan.

Builds (under ``bench-out/layouts/``) the layouts of ``tests/sources/disk/layout_builders.py``
(Rocky LVM + XFS + BLS, Alpine MBR + extlinux + OpenRC, Ubuntu cloud, Amazon Linux, Debian
arm64) and the tarball of each tree, converts each raw disk with ``qemu-img`` to every format
the disk source reads, and scans each under ``--profile k0s --profile golden-image`` the way
``make demo`` does. The reference in each row is the scan of the layout's own tarball (``tar``,
measured in the same run): ``ratio`` is the disk scan's wall time over it. Every disk scan must
exit like the tarball's (1: findings at ``error``), or the row is marked and the exit status
is 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "sources" / "disk")]

from builders import to_tar  # noqa: E402
from disk_builders import DISK_FORMATS, convert  # noqa: E402
from layout_builders import build  # noqa: E402
from measure import measure  # noqa: E402

OUT = ROOT / "bench-out" / "layouts"
LAYOUTS = ("rocky", "alpine", "ubuntu", "amazon", "arm64")


def scan_argv(target: Path) -> list[str]:
    """``python -m analyzer scan TARGET`` under the demo's profiles, JSON to /dev/null."""
    return [
        sys.executable, "-m", "analyzer", "scan", str(target), "--profile", "k0s",
        "--profile", "golden-image", "--format", "json", "-o", os.devnull,
    ]  # fmt: skip


def arm64_hello() -> Path:
    """The aarch64 ``hello`` of the ELF corpus, built once."""
    corpus = OUT / "elf"
    if not (corpus / "hello-arm64").exists():
        corpus.mkdir(parents=True, exist_ok=True)
        script = ROOT / "fixtures" / "elf" / "build.sh"
        subprocess.run(["sh", str(script), str(corpus), "hello-arm64"], check=True)
    return corpus / "hello-arm64"


def main() -> int:
    """Build every layout and format, measure, print the table; 1 when a scan disagrees."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--layout", action="append", choices=LAYOUTS, help="default: all")
    args = parser.parse_args()
    print(f"{'layout':<8} {'format':<12} {'file MB':>8} {'exit':>4} {'wall s':>7} {'ratio':>6} "
          f"{'RSS MB':>7}")  # fmt: skip
    failed = []
    for name in args.layout or LAYOUTS:
        layout = build(name, OUT / name, arm64_hello())
        tarball = to_tar(layout.tree, OUT / f"{name}.tar.gz", "gzip")
        reference = measure(scan_argv(tarball), args.repeat)
        rows = [("tar.gz", tarball, reference)]
        for fmt, options in DISK_FORMATS.items():
            image = (
                layout.disk
                if not options
                else convert(layout.disk, OUT / f"{name}.{fmt}", *options)
            )
            rows.append((fmt, image, measure(scan_argv(image), args.repeat)))
        for fmt, image, run in rows:
            ratio = run.wall / reference.wall
            mark = (
                ""
                if run.code == reference.code
                else f"  <- exit {run.code}, tar.gz {reference.code}"
            )
            print(f"{name:<8} {fmt:<12} {image.stat().st_blocks * 512 / 1e6:>8.1f} {run.code:>4} "
                  f"{run.wall:>7.2f} {ratio:>5.2f}x {run.rss_mb:>7.1f}{mark}")  # fmt: skip
            if mark:
                failed.append(f"{name} {fmt}")
    for row in failed:
        print(f"failed: {row} does not exit like its tarball")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
