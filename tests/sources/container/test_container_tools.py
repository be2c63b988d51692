"""Images written by real tools: skopeo conversions and an image built with umoci."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from builders import File, make_tree, to_dir
from containerimages import Formats, by_diff_id, formats_fixture
from imagebuild import Image, oci_files, write_dir

from analyzer.model import Outcome, RunResult, TargetKind
from analyzer.pipeline import Config, analyze
from analyzer.vfs.build import TreeBuilder

__all__ = ["formats_fixture"]

needs_skopeo = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo not installed")
needs_umoci = pytest.mark.skipif(shutil.which("umoci") is None, reason="umoci not installed")


def scan(target: str) -> RunResult:
    return analyze(Config(target, profiles=("k0s", "golden-image")))


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@needs_skopeo
def test_skopeo_docker_archive_from_our_oci_layout(formats: Formats, tmp_path: Path) -> None:
    # docker-archive cannot hold zstd layers: convert the plain and gzip layers only
    image = Image(formats.image.layers[:2], config=formats.image.config)
    layout = write_dir(oci_files([(image, "v1")]), tmp_path / "oci")
    out = tmp_path / "skopeo.tar"
    run("skopeo", "copy", "--quiet", f"oci:{layout}:v1", f"docker-archive:{out}:demo:v1")
    converted = scan(str(out))
    assert converted.target.source == "docker-archive"
    assert converted.target.properties["repo_tags"] == ("docker.io/library/demo:v1",)
    assert by_diff_id(converted) == by_diff_id(scan(f"oci:{layout}:v1"))
    assert by_diff_id(scan(f"docker-archive:{out}:demo:v1")) == by_diff_id(converted)
    assert converted.notifications == ()


@needs_skopeo
def test_skopeo_oci_layout_from_our_docker_archive(formats: Formats, tmp_path: Path) -> None:
    out = tmp_path / "oci"
    run("skopeo", "copy", "--quiet", f"docker-archive:{formats.docker}", f"oci:{out}:copied")
    converted = scan(f"oci:{out}:copied")
    assert converted.target.source == "oci"
    assert by_diff_id(converted) == by_diff_id(scan(str(formats.docker)))


@needs_skopeo
def test_skopeo_oci_archive(formats: Formats, tmp_path: Path) -> None:
    out = tmp_path / "image.oci.tar"
    run("skopeo", "copy", "--quiet", f"oci:{formats.oci_dir}:v1", f"oci-archive:{out}:v9")
    converted = scan(f"oci-archive:{out}:v9")
    assert converted.target.source == "oci-archive"
    assert by_diff_id(converted) == by_diff_id(scan(f"oci:{formats.oci_dir}:v1"))


@needs_umoci
def test_umoci_built_image_with_whiteout_and_opaque(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    image = f"{layout}:t1"
    run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", image)
    files = to_dir(
        make_tree({
            "bin/mount": File(b"#!/bin/sh\n", mode=0o755),
            "etc/conf.d/old": "old\n",
            "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
        }),
        tmp_path / "base",
    )  # fmt: skip
    run("umoci", "insert", "--image", image, str(files), "/")
    run("umoci", "insert", "--image", image, "--whiteout", "/bin/mount")
    newconf = to_dir(make_tree({"new": "new\n"}), tmp_path / "conf")
    run("umoci", "insert", "--image", image, "--opaque", str(newconf), "/etc/conf.d")
    result = scan(f"oci:{image}")
    assert result.complete
    assert result.target.kind is TargetKind.CONTAINER
    assert len(result.target.layers) == 3
    rules = {e.rule_id: e for e in result.evaluations}
    assert rules["k0s.executables.mount"].outcome is Outcome.FAIL
    machine_id = rules["golden-image.machine-id.populated"]
    assert machine_id.outcome is Outcome.FAIL
    assert machine_id.location.layer == result.target.layers[0].id
    from analyzer.sources import open_source

    source = open_source(f"oci:{image}")
    try:
        tree = TreeBuilder([]).build(source.layers())
    finally:
        source.close()
    assert tree.listdir("/etc/conf.d") == ["new"]
