"""Container image benchmark: scan a multi-layer image as docker-archive and as OCI layout.

Builds (once, under ``bench-out/container/``) an image of at least ``--size`` MB from this
machine's ``/usr`` subtrees, one layer per subtree (plain, gzip, zstd and plain again, the last
one also whiting out a file of the first), written with the libarchive writer. Each command runs
``--repeat`` times in a fresh wrapper process whose ``RUSAGE_CHILDREN`` peak RSS is the
command's own. Prints best wall time, peak RSS, and the ratio to ``bsdtar -xOf`` run on every
layer blob in turn (the cost of just decompressing and walking the layers).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import libarchive
from measure import Run, measure

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out" / "container"
MB = 1_000_000
#: (subtree, compression, share of the total size)
LAYERS = (
    ("/usr/bin", None, 0.25),
    ("/usr/lib/x86_64-linux-gnu", "gzip", 0.35),
    ("/usr/share", "zstd", 0.25),
    ("/usr/lib/python3", None, 0.15),
)
MEDIA = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def _pick(top: str, budget: int) -> list[str]:
    chosen, total = [], 0
    for directory, dirs, names in os.walk(top):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(directory, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            chosen.append(path)
            total += os.path.getsize(path)
            if total >= budget:
                return chosen
    return chosen


def _layer(index: int, top: str, compression: str | None, budget: int) -> tuple[Path, Path]:
    plain = OUT / f"layer{index}.tar"
    paths = _pick(top, budget)
    for target, codec in ((plain, None), (OUT / f"layer{index}.blob", compression)):
        with libarchive.file_writer(str(target), "pax", filter_name=codec) as out:
            for path in paths:
                out.add_files(path, recursive=False, pathname=path.lstrip("/"))
            if index == len(LAYERS) - 1:
                hidden = os.path.basename(_pick("/usr/bin", 1)[0])
                out.add_file_from_memory(f"usr/bin/.wh.{hidden}", 0, b"")
    return plain, OUT / f"layer{index}.blob"


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _layer_blobs(oci: Path) -> list[Path]:
    index = json.loads((oci / "index.json").read_text())
    digest = index["manifests"][0]["digest"][len("sha256:") :]
    manifest = json.loads((oci / "blobs" / "sha256" / digest).read_text())
    return [oci / "blobs" / "sha256" / d["digest"][len("sha256:") :] for d in manifest["layers"]]


def build(size_mb: int) -> tuple[Path, Path, list[Path]]:
    """Write the image as an OCI layout and a docker-archive (reused when present)."""
    oci, docker = OUT / "oci", OUT / "docker.tar"
    if docker.exists() and (oci / "index.json").exists():
        return docker, oci, _layer_blobs(oci)
    OUT.mkdir(parents=True, exist_ok=True)
    layers = [
        _layer(i, top, codec, int(size_mb * MB * share))
        for i, (top, codec, share) in enumerate(LAYERS)
    ]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{_sha(p)}" for p, _ in layers]},
        "history": [{"created_by": f"ADD {top} /"} for top, _, _ in LAYERS],
    }).encode()  # fmt: skip
    blobs = oci / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    descriptors: list[dict[str, Any]] = []
    for (_, blob), (_, codec, _) in zip(layers, LAYERS, strict=True):
        digest = _sha(blob)
        os.replace(blob, blobs / digest)
        descriptors.append({"mediaType": MEDIA[codec], "digest": f"sha256:{digest}",
                            "size": (blobs / digest).stat().st_size})  # fmt: skip
    config_digest = hashlib.sha256(config).hexdigest()
    (blobs / config_digest).write_bytes(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{config_digest}", "size": len(config)},
        "layers": descriptors,
    }).encode()  # fmt: skip
    manifest_digest = hashlib.sha256(manifest).hexdigest()
    (blobs / manifest_digest).write_bytes(manifest)
    (oci / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (oci / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": f"sha256:{manifest_digest}", "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}))  # fmt: skip
    names = [f"blobs/sha256/{d['digest'][7:]}" for d in descriptors]
    with libarchive.file_writer(str(docker), "pax") as out:
        for name in [*names, f"blobs/sha256/{config_digest}"]:
            out.add_files(str(oci / name), recursive=False, pathname=name)
        document = [{"Config": f"blobs/sha256/{config_digest}", "RepoTags": ["bench:latest"],
                     "Layers": names}]  # fmt: skip
        data = json.dumps(document).encode()
        out.add_file_from_memory("manifest.json", len(data), data)
    for plain, _ in layers:
        plain.unlink()
    return docker, oci, [oci / name for name in names]


def run(size_mb: int, repeat: int) -> tuple[str, list[tuple[str, Run]]]:
    """Build the image and time the baseline and the scans: a title and (name, result) rows.

    The first row is the baseline (``bsdtar -xOf`` on every layer blob in turn).
    """
    docker, oci, blobs = build(size_mb)
    total = sum(p.stat().st_size for p in blobs) / MB
    title = f"image: {len(blobs)} layers, {total:.0f} MB of blobs ({docker})"
    quoted = " ".join(f"'{b}'" for b in blobs)
    script = f'for b in {quoted}; do bsdtar -xOf "$b" || exit 1; done'
    scan = [sys.executable, "-m", "analyzer", "scan", "--format", "json", "--fail-on", "none"]
    rows = [("bsdtar -xOf (every layer)", measure(["sh", "-c", script], repeat))]
    rows.append(("imgaudit docker-archive", measure([*scan, str(docker)], repeat)))
    rows.append(("imgaudit oci layout", measure([*scan, f"oci:{oci}:bench"], repeat)))
    return title, rows


def main() -> int:
    """Build the image, time the scans and the bsdtar baseline, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=160, help="image size in MB (>= 150)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    title, rows = run(args.size, args.repeat)
    baseline = rows[0][1]
    print(title)
    print(f"{'command':<28} {'wall s':>8} {'ratio':>7} {'peak RSS MB':>12} {'exit':>5}")
    for name, timing in rows:
        ratio = timing.wall / baseline.wall
        print(f"{name:<28} {timing.wall:8.2f} {ratio:7.2f} {timing.rss_mb:12.1f} {timing.code:5d}")
    return 0 if all(timing.code == 0 for _, timing in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
