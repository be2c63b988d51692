"""Container inputs: legacy archives, digests, stdin, platforms, tags, detection, bad input."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from builders import make_tree, to_tar
from containerimages import Formats, by_diff_id, formats_fixture, sample_image
from imagebuild import Image, docker_files, layer, oci_files, sha, write_dir, write_tar
from jsonreports import load_report

from analyzer.errors import IntegrityError, SourceError
from analyzer.facts import IMAGE_CONFIG
from analyzer.model import Level, RunResult, TargetKind
from analyzer.pipeline import Config, analyze

__all__ = ["formats_fixture"]
ROOT = Path(__file__).resolve().parents[3]


def scan(target: str, platform: str | None = None) -> RunResult:
    return analyze(Config(target, profiles=("k0s", "golden-image"), platform=platform))


def cli(*args: str, stdin: Path | None = None) -> subprocess.CompletedProcess[str]:
    with open(stdin, "rb") if stdin else open("/dev/null", "rb") as handle:
        return subprocess.run(
            [sys.executable, "-m", "analyzer", "scan", *args],
            stdin=handle, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
        )  # fmt: skip


def test_legacy_layer_tar_files_give_the_same_findings(formats: Formats) -> None:
    legacy = scan(str(formats.docker_legacy))
    assert by_diff_id(legacy) == by_diff_id(scan(str(formats.docker)))
    unverified = [n for n in legacy.notifications if n.code == "source.unverified"]
    assert len(unverified) == 2, "the gzip and zstd legacy layers have no digest name"
    assert "layer.tar: compressed layer without a digest name" in unverified[0].message


def test_corrupt_blob_in_oci_layout_exits_2_naming_the_blob(
    formats: Formats, tmp_path: Path
) -> None:
    layout = oci_files([(formats.image, "v1")])
    middle = formats.image.layers[1]
    name = f"blobs/sha256/{middle.digest}"
    layout[name] = layout[name][:-1] + bytes([layout[name][-1] ^ 0xFF])
    root = write_dir(layout, tmp_path / "oci")
    done = cli(f"oci:{root}:v1")
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"imgaudit: {root}: {name}: digest mismatch: expected sha256:")
    assert "Traceback" not in done.stderr


def test_corrupt_legacy_layer_tar_fails_its_diff_id(formats: Formats, tmp_path: Path) -> None:
    image = formats.image
    tampered = Image([dataclasses.replace(image.layers[0], blob=image.layers[0].blob.replace(
        b"localhost", b"evilhost!"))], config=image.config)  # fmt: skip
    tampered.config = image.config
    files, links = docker_files(tampered, "demo:v1", "legacy")
    config_name = next(
        n for n in files if n.endswith(".json") and "/" not in n and n != "manifest.json"
    )
    document = json.loads(files.pop(config_name))
    document["rootfs"]["diff_ids"] = [f"sha256:{image.layers[0].diff_id}"]
    data = json.dumps(document).encode()
    files[f"{sha(data)}.json"] = data
    manifest = json.loads(files["manifest.json"])
    manifest[0]["Config"] = f"{sha(data)}.json"
    files["manifest.json"] = json.dumps(manifest).encode()
    archive = write_tar(files, tmp_path / "legacy.tar", links)
    with pytest.raises(IntegrityError, match=r"layer\.tar: digest mismatch: expected sha256:"):
        scan(str(archive))


def test_docker_save_on_stdin(formats: Formats) -> None:
    done = cli("-", "--format", "json", "--profile", "golden-image", "--fail-on", "warning",
               stdin=formats.docker)  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = load_report(done.stdout)
    assert report["target"]["kind"] == "container"
    assert len(report["target"]["layers"]) == 3
    assert done.stderr == ""


def test_compressed_docker_save_on_stdin(formats: Formats) -> None:
    done = cli("-", "--format", "json", "--profile", "golden-image", stdin=formats.docker_gz)
    assert load_report(done.stdout)["target"]["kind"] == "container"


def test_rootfs_tar_on_stdin_stays_a_rootfs(tmp_path: Path) -> None:
    archive = to_tar(make_tree({"etc/hosts": "127.0.0.1 localhost\n"}), tmp_path / "r.tar", "gzip")
    done = cli("-", "--format", "json", "--profile", "golden-image", stdin=archive)
    assert load_report(done.stdout)["target"]["kind"] == "rootfs", done.stderr


def test_rootfs_whose_first_member_looks_like_an_image_is_replayed(tmp_path: Path) -> None:
    tree = make_tree({"blobs/readme": "not an image\n", "etc/hosts": "127.0.0.1 localhost\n"})
    result = scan(str(to_tar(tree, tmp_path / "r.tar.zst", "zstd")))
    assert result.target.kind is TargetKind.ROOTFS
    assert result.target.reference.endswith("r.tar.zst")


@pytest.fixture(scope="module")
def multiarch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("multi")
    amd = sample_image(root / "amd")
    arm = dataclasses.replace(sample_image(root / "arm"), architecture="arm64", variant="v8")
    riscv = dataclasses.replace(sample_image(root / "riscv"), architecture="riscv64")
    both = write_dir(oci_files([(amd, "multi"), (arm, None)], nested=True), root / "both")
    no_amd = write_dir(oci_files([(arm, "other"), (riscv, None)], nested=True), root / "noamd")
    return both, no_amd


def test_platform_default_is_amd64_with_a_note(multiarch: tuple[Path, Path]) -> None:
    result = scan(f"oci:{multiarch[0]}:multi")
    assert result.target.properties["platform"] == "linux/amd64"
    notes = [n for n in result.notifications if n.code == "source.platform"]
    assert len(notes) == 1
    assert notes[0].level is Level.NOTE
    assert (
        "several platforms (linux/amd64, linux/arm64/v8); scanned linux/amd64" in notes[0].message
    )


@pytest.mark.parametrize("wanted", ["linux/arm64", "linux/arm64/v8"])
def test_platform_selection(multiarch: tuple[Path, Path], wanted: str) -> None:
    result = scan(f"oci:{multiarch[0]}:multi", platform=wanted)
    assert result.target.properties["platform"] == "linux/arm64/v8"
    assert result.facts.get(IMAGE_CONFIG).get().architecture == "arm64"


def test_platform_not_present_lists_what_exists(multiarch: tuple[Path, Path]) -> None:
    with pytest.raises(
        SourceError, match=r"no image for platform linux/s390x \(has: linux/amd64, linux/arm64/v8\)"
    ):
        scan(f"oci:{multiarch[0]}:multi", platform="linux/s390x")


def test_several_platforms_without_amd64_need_a_choice(multiarch: tuple[Path, Path]) -> None:
    with pytest.raises(SourceError, match=r"none is linux/amd64; choose one with --platform"):
        scan(str(multiarch[1]))


def test_unknown_tag_lists_the_tags(formats: Formats) -> None:
    with pytest.raises(SourceError, match=r"no image tagged 'v2' \(has: v1\)"):
        scan(f"oci:{formats.oci_dir}:v2")
    with pytest.raises(SourceError, match=r"no image tagged 'demo:v2' \(has: demo:v1\)"):
        scan(f"docker-archive:{formats.docker}:demo:v2")


def test_docker_archive_platform_mismatch(formats: Formats) -> None:
    with pytest.raises(
        SourceError, match=r"no image for platform linux/arm64 \(has: linux/amd64\)"
    ):
        scan(str(formats.docker), platform="linux/arm64")


def test_plain_rootfs_tar_is_not_taken_for_an_image(tmp_path: Path) -> None:
    tree = make_tree({"manifest.json.bak": "{}", "etc/index.json": "{}", "etc/hosts": "x\n"})
    result = scan(str(to_tar(tree, tmp_path / "rootfs.tar")))
    assert result.target.kind is TargetKind.ROOTFS


def test_manifest_that_is_not_json(formats: Formats, tmp_path: Path) -> None:
    files, links = docker_files(formats.image, "demo:v1")
    files["manifest.json"] = b"[{not json"
    archive = write_tar(files, tmp_path / "bad.tar", links)
    with pytest.raises(SourceError, match=r"bad\.tar: manifest\.json: not valid JSON"):
        scan(f"docker-archive:{archive}")


def test_missing_layer_blob(formats: Formats, tmp_path: Path) -> None:
    layout = oci_files([(formats.image, "v1")])
    del layout[f"blobs/sha256/{formats.image.layers[2].digest}"]
    root = write_dir(layout, tmp_path / "oci")
    with pytest.raises(SourceError, match=r"blobs/sha256/[0-9a-f]{64}: cannot open"):
        scan(f"oci:{root}")


def test_truncated_upper_layer_is_a_partial_scan(tmp_path: Path) -> None:
    base = layer(tmp_path / "l", make_tree({"etc/hosts": "127.0.0.1 localhost\n"}))
    big = layer(tmp_path / "l", make_tree({"usr/big": b"x" * 200_000}), "gzip")
    cut = dataclasses.replace(big, blob=big.blob[: len(big.blob) // 2])
    image = Image([base, cut])
    files = oci_files([(image, "v1")])
    root = write_dir(files, tmp_path / "oci")
    result = scan(f"oci:{root}:v1")
    partial = [n for n in result.notifications if n.code == "source.partial"]
    assert len(partial) == 1
    assert f"sha256:{cut.digest}" in partial[0].message
    assert not result.complete


def test_unsupported_layer_media_type(formats: Formats, tmp_path: Path) -> None:
    layout = oci_files([(formats.image, "v1")])
    manifest = json.loads(layout[next(n for n in layout if b'"layers"' in layout[n])])
    manifest["layers"][0]["mediaType"] = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    data = json.dumps(manifest).encode()
    layout[f"blobs/sha256/{sha(data)}"] = data
    layout["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": f"sha256:{sha(data)}", "size": len(data)}]}).encode()  # fmt: skip
    root = write_dir(layout, tmp_path / "oci")
    with pytest.raises(SourceError, match=r"unsupported layer type 'application/vnd\.cncf"):
        scan(str(root))


def _dotted_archive(formats: Formats, path: Path) -> Path:
    """``tar -C dir -cf img.tar .``: a ``./`` entry comes first, then ``./oci-layout`` ..."""
    files = oci_files([(formats.image, "v1")])
    with tarfile.open(path, "w") as out:
        top = tarfile.TarInfo(".")
        top.type = tarfile.DIRTYPE
        out.addfile(top)
        for name, data in files.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return path


def test_image_archive_tarred_from_its_directory_is_still_an_image(
    formats: Formats, tmp_path: Path
) -> None:
    result = scan(str(_dotted_archive(formats, tmp_path / "dotted.tar")))
    assert result.target.kind is TargetKind.CONTAINER
    assert by_diff_id(result) == by_diff_id(scan(str(formats.docker)))


def test_compressed_image_archive_with_a_leading_dot_entry_is_an_image(
    formats: Formats, tmp_path: Path
) -> None:
    plain = _dotted_archive(formats, tmp_path / "dotted.tar")
    subprocess.run(["zstd", "-q", str(plain), "-o", str(tmp_path / "dotted.tar.zst")], check=True)
    result = scan(str(tmp_path / "dotted.tar.zst"))
    assert result.target.kind is TargetKind.CONTAINER
    assert by_diff_id(result) == by_diff_id(scan(str(formats.docker)))


def test_image_archive_with_a_leading_dot_entry_on_stdin_is_an_image(
    formats: Formats, tmp_path: Path
) -> None:
    done = cli("-", "--format", "json", stdin=_dotted_archive(formats, tmp_path / "dotted.tar"))
    assert done.returncode in (0, 1), done.stderr
    assert load_report(done.stdout)["target"]["kind"] == "container"
