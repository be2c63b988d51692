"""Target lists: text files, Packer manifests, OCI layouts, duplicates and refused targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import make_tree
from fleetbuild import Image, layer, oci_files, sha, write_dir

from analyzer.errors import UsageError
from analyzer.fleet.targets import Planned, expand


def test_text_list_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text(
        "# golden images\n/srv/a.qcow2\n\n  /srv/b.tar  # the old one\ndocker:app:1.2\n"
        "/srv/c#1.tar\n"
    )
    found = expand([], [str(listing)])
    assert found.planned == (
        Planned("/srv/a.qcow2"),
        Planned("/srv/b.tar"),
        Planned("docker:app:1.2"),
        Planned("/srv/c#1.tar"),
    )
    assert found.notifications == ()


def test_a_target_listed_twice_is_scanned_once_with_a_note(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("/srv/a.qcow2\n/srv/b.tar\n")
    found = expand(["/srv/b.tar"], [str(listing)])
    assert [p.reference for p in found.planned] == ["/srv/b.tar", "/srv/a.qcow2"]
    (note,) = found.notifications
    assert note.code == "fleet.duplicate-target"
    assert note.message == "/srv/b.tar: listed more than once; scanned once"


def test_stdin_cannot_be_part_of_a_fleet() -> None:
    found = expand(["-", "/srv/a.tar"])
    assert found.planned[0] == Planned("-", "standard input can only be scanned on its own")
    assert found.planned[1] == Planned("/srv/a.tar")


def test_empty_list_and_unreadable_list_are_usage_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    with pytest.raises(UsageError, match="no targets to scan"):
        expand([], [str(empty)])
    with pytest.raises(
        UsageError, match=r"missing\.txt: cannot read the target list: No such file"
    ):
        expand([], [str(tmp_path / "missing.txt")])


def _manifest(tmp_path: Path) -> Path:
    """Two runs of a build: the last one made a qcow2 (with a checksum file) and a Docker image."""
    document = {
        "builds": [
            {"name": "old", "builder_type": "qemu", "packer_run_uuid": "run-1",
             "files": [{"name": "output/old.qcow2", "size": 1}], "artifact_id": "x"},
            {"name": "golden", "builder_type": "qemu", "packer_run_uuid": "run-2",
             "files": [{"name": "output/golden.qcow2", "size": 1},
                       {"name": "output/golden.qcow2.sha256", "size": 1},
                       {"name": "/abs/extra.raw", "size": 1}],
             "artifact_id": "golden"},
            {"name": "app", "builder_type": "docker", "packer_run_uuid": "run-2",
             "files": None, "artifact_id": "sha256:abc"},
        ],
        "last_run_uuid": "run-2",
    }  # fmt: skip
    path = tmp_path / "packer-manifest.json"
    path.write_text(json.dumps(document))
    return path


def test_packer_manifest_scans_the_file_artefacts_of_the_last_run(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    for found in (expand([f"packer-manifest:{manifest}"]), expand([], [str(manifest)])):
        assert found.planned == (
            Planned(str(tmp_path / "output/golden.qcow2")),
            Planned("/abs/extra.raw"),
        )
        sidecar, docker = found.notifications
        assert sidecar.code == "fleet.packer-sidecar"
        assert sidecar.message.endswith(
            "golden.qcow2.sha256 is metadata next to the image; not scanned"
        )
        assert docker.code == "fleet.packer-no-file"
        assert (
            "build 'app' (docker) has no file artefact (artifact_id 'sha256:abc')" in docker.message
        )


def test_packer_manifest_without_the_last_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "packer-manifest.json"
    path.write_text(json.dumps({"builds": [], "last_run_uuid": "run-9"}))
    with pytest.raises(UsageError, match=r"no build of the last run \('run-9'\)"):
        expand([f"packer-manifest:{path}"])
    path.write_text('{"builds": [')
    with pytest.raises(UsageError, match="invalid JSON: line 1"):
        expand([f"packer-manifest:{path}"])


def test_oci_layout_lists_one_target_per_tag(tmp_path: Path) -> None:
    images = [
        Image([layer(tmp_path / "l", make_tree({"etc/hosts": f"# {n}\n"}))]) for n in range(3)
    ]
    files = oci_files([(images[0], "1.0"), (images[1], "2.0"), (images[2], None)])
    layout = write_dir(files, tmp_path / "layout")
    untagged = f"sha256:{sha(images[2].manifest_bytes())}"
    for found in (expand([], [str(layout)]), expand([], [str(layout / "index.json")])):
        assert found.planned[:2] == (Planned(f"oci:{layout}:1.0"), Planned(f"oci:{layout}:2.0"))
        last = found.planned[2]
        assert last.reference == f"oci:{layout}@{untagged}"
        assert last.error is not None and "has no org.opencontainers.image.ref.name" in last.error
    single = write_dir(oci_files([(images[0], None)]), tmp_path / "single")
    assert expand([], [str(single)]).planned == (Planned(f"oci:{single}"),)
