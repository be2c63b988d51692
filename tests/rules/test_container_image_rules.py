"""Host rules on a container image: the image's own PATH, machine-id, /etc/hosts not applicable."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from builders import File, Item, make_tree, to_tar
from scenarios import findings, only

from analyzer.model import Level, Outcome, TargetKind
from analyzer.pipeline import Config, analyze

ID = "0123456789abcdef0123456789abcdef"
EXE = File(b"#!/bin/sh\n", mode=0o755)


def oci(tmp_path: Path, spec: dict[str, Item], env: list[str]) -> Path:
    """A one-layer OCI layout whose config sets ``Env``."""
    root = tmp_path / "oci"
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    tar = to_tar(make_tree(spec), tmp_path / "layer.tar").read_bytes()
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": env},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **blob(json.dumps(config).encode()),
        },
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **blob(tar)}],
    }
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **blob(json.dumps(manifest).encode()),
                "annotations": {"org.opencontainers.image.ref.name": "demo"},
            }
        ],
    }
    (root / "index.json").write_text(json.dumps(index))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root


def test_container_uses_its_own_path_and_shares_its_machine_id(tmp_path: Path) -> None:
    root = oci(
        tmp_path,
        {"opt/k0s/bin/mount": EXE, "usr/bin/umount": EXE, "etc/machine-id": ID + "\n"},
        ["PATH=/opt/k0s/bin:/usr/bin"],
    )
    result = analyze(Config(f"oci:{root}", profiles=("k0s", "golden-image"), role="worker"))
    assert result.target.kind is TargetKind.CONTAINER
    mount = only(result, "k0s.executables.mount")
    assert (mount.outcome, mount.location.path) == (Outcome.PASS, "/opt/k0s/bin/mount")
    assert "PATH (image config Env): /opt/k0s/bin:/usr/bin" in mount.evidence
    modprobe = only(result, "k0s.executables.modprobe")
    assert modprobe.outcome is Outcome.FAIL
    assert modprobe.message.endswith("modprobe is not in PATH /opt/k0s/bin:/usr/bin")
    (machine_id,) = findings(result, "golden-image.machine-id.populated")
    assert (machine_id.location.path, machine_id.level) == ("/etc/machine-id", Level.WARNING)
    assert machine_id.location.layer is not None
    localhost = only(result, "k0s.name-resolution.localhost")
    assert localhost.outcome is Outcome.NOT_APPLICABLE
    assert localhost.message == "the container runtime writes /etc/hosts when the container starts"
    assert only(result, "golden-image.hostname").outcome is Outcome.NOT_APPLICABLE
