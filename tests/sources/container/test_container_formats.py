"""One image, every container input: identical findings, whiteouts, attribution, identity."""

from __future__ import annotations

from pathlib import Path

import pytest
from containerimages import Formats, formats_fixture

from analyzer.facts import IMAGE_CONFIG
from analyzer.facts.image import ImageConfig
from analyzer.model import Outcome, RunResult, TargetKind
from analyzer.pipeline import Config, analyze
from analyzer.sources import open_source
from analyzer.vfs.build import TreeBuilder

__all__ = ["formats_fixture"]
PROFILES = ("k0s", "golden-image")


def scan(target: str, **options: object) -> RunResult:
    return analyze(Config(target, profiles=PROFILES, **options))  # type: ignore[arg-type]


def targets(formats: Formats) -> dict[str, str]:
    return {
        "docker-archive": str(formats.docker),
        "docker-archive links": str(formats.docker_links),
        "docker-archive scheme+tag": f"docker-archive:{formats.docker}:demo:v1",
        "docker-archive gzip (spooled)": str(formats.docker_gz),
        "oci-archive": str(formats.oci_tar),
        "oci-archive scheme+tag": f"oci-archive:{formats.oci_tar}:v1",
        "oci layout by tag": f"oci:{formats.oci_dir}:v1",
        "oci layout detected": str(formats.oci_dir),
    }


def test_same_image_gives_identical_findings_in_every_format(formats: Formats) -> None:
    results = {name: scan(target) for name, target in targets(formats).items()}
    reference = results["oci layout by tag"]
    assert reference.findings, "the sample image must produce findings"
    for name, result in results.items():
        assert result.target.kind is TargetKind.CONTAINER, name
        assert result.evaluations == reference.evaluations, name
        assert result.notifications == (), name


def test_whited_out_mount_is_missing_although_the_lower_layer_had_it(formats: Formats) -> None:
    assert b"bin/mount" in formats.image.layers[0].tar
    result = scan(f"oci:{formats.oci_dir}:v1")
    by_rule = {e.rule_id: e for e in result.evaluations}
    mount = by_rule["k0s.executables.mount"]
    assert mount.outcome is Outcome.FAIL
    assert mount.message == (
        "kubelet cannot mount volumes: mount is not in PATH /usr/local/bin:/usr/bin:/bin"
    )
    assert by_rule["k0s.executables.umount"].outcome is Outcome.PASS


def test_opaque_directory_hides_the_lower_configuration(formats: Formats) -> None:
    source = open_source(str(formats.oci_tar))
    try:
        tree = TreeBuilder([]).build(source.layers())
    finally:
        source.close()
    assert tree.listdir("/etc/app") == ["new.conf"]
    assert tree.location("/etc/app/new.conf").layer == f"sha256:{formats.image.layers[2].digest}"


def test_finding_on_a_file_names_the_layer_that_added_it(formats: Formats) -> None:
    result = scan(str(formats.docker))
    finding = next(e for e in result.findings if e.rule_id == "golden-image.machine-id.populated")
    assert finding.location.path == "/etc/machine-id"
    assert finding.location.line == 1
    base = formats.image.layers[0]
    assert finding.location.layer == f"sha256:{base.digest}"
    layers = {layer.id: layer for layer in result.target.layers}
    assert layers[finding.location.layer].created_by == "/bin/sh -c #(nop) ADD file:base in /"
    assert layers[finding.location.layer].diff_id == f"sha256:{base.diff_id}"


def test_compressed_layer_ids_are_digests_and_diff_ids_differ(formats: Formats) -> None:
    result = scan(str(formats.oci_tar))
    middle = formats.image.layers[1]
    entry = result.target.layers[1]
    assert entry.id == entry.digest == f"sha256:{middle.digest}"
    assert entry.diff_id == f"sha256:{middle.diff_id}" != entry.digest
    assert entry.created_by == "RUN rm /bin/mount && install tool"


def test_container_image_gives_no_kernel_alarms(formats: Formats) -> None:
    result = analyze(Config(str(formats.oci_tar), profiles=("k0s",)))
    kernel = [e for e in result.evaluations if ".kconfig." in e.rule_id or ".kernel." in e.rule_id]
    assert kernel, "the k0s profile has kernel rules"
    assert {e.outcome for e in kernel} == {Outcome.NOT_APPLICABLE}


def test_image_config_becomes_a_fact(formats: Formats) -> None:
    result = scan(str(formats.oci_tar))
    fact = result.facts.get(IMAGE_CONFIG)
    config = fact.get()
    assert isinstance(config, ImageConfig)
    assert config.platform == "linux/amd64"
    assert config.path == ("/usr/local/bin", "/usr/bin", "/bin")
    assert config.user == "1000:1000"
    assert config.entrypoint == ("/usr/local/bin/tool",)
    assert config.cmd == ("--help",)
    assert config.labels == {"org.opencontainers.image.title": "demo"}
    assert [h.empty_layer for h in config.history] == [True, True, False, False, False]


def test_rootfs_has_no_image_config(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hosts").write_text("127.0.0.1 localhost\n")
    result = scan(str(tmp_path))
    assert result.target.kind is TargetKind.ROOTFS
    assert not result.facts.get(IMAGE_CONFIG).is_present


@pytest.mark.parametrize(
    ("name", "scheme", "tags"),
    [
        ("docker-archive", "docker-archive", ("demo:v1",)),
        ("oci-archive", "oci-archive", ("v1",)),
        ("oci layout by tag", "oci", ("v1",)),
    ],
)
def test_target_identity(formats: Formats, name: str, scheme: str, tags: tuple[str, ...]) -> None:
    target = scan(targets(formats)[name]).target
    config_digest = (
        f"sha256:{__import__('hashlib').sha256(formats.image.config_bytes()).hexdigest()}"
    )
    assert target.source == scheme
    assert target.properties["config_digest"] == config_digest
    assert target.properties["platform"] == "linux/amd64"
    assert target.properties["repo_tags"] == tags
    assert [layer.id for layer in target.layers] == [
        f"sha256:{layer.digest}" for layer in formats.image.layers
    ]
