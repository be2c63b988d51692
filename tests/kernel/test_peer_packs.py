"""The ``kubernetes`` and ``docker`` packs on a real Debian cloud kernel configuration."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from builders import File, Item, make_tree, to_tar
from scenarios import only, scan
from test_kernel_rules import CONFIG_PATH, SYSTEMD, R, debian_config, rootfs

from analyzer.errors import RuleError
from analyzer.kernel.cgroups import CONTROLLERS
from analyzer.model import Level, Outcome, RunResult
from analyzer.pipeline import Config, analyze
from analyzer.policy.loader import load_pack, parse_pack
from analyzer.policy.packs import packs_dir
from analyzer.report.text import render

#: Lines of the fixture, 1-based, that the scenarios look at.
XT_COMMENT_LINE = 1336
CGROUP_FREEZER_LINE = 210
USER_NS_LINE = 225
IP_NF_REDIRECT_LINE = 1477
VSYSCALL_NONE_LINE = 486
HOST_KERNEL = "the kernel belongs to the host that runs the container"
FORCE_V1 = (
    f"menuentry 'Debian GNU/Linux' {{\n"
    f"\tlinux /boot/vmlinuz-{R} root=/dev/vda1 ro systemd.unified_cgroup_hierarchy=0\n"
    "}\n"
)


def loud(result: RunResult) -> list[tuple[str, str, str]]:
    """Every error or warning (failed or undeterminable) as ``(rule, level, message)``."""
    return [
        (e.rule_id, e.level.value, e.message)
        for e in result.evaluations
        if e.outcome in (Outcome.FAIL, Outcome.UNKNOWN) and e.level is not Level.NOTE
    ]


def turn_off(symbol: str, value: str = "y") -> str:
    config = debian_config()
    line = f"CONFIG_{symbol}={value}\n"
    assert line in config, f"the fixture has no {line!r}"
    return config.replace(line, f"# CONFIG_{symbol} is not set\n")


def renamed(release: str) -> dict[str, Item]:
    """The Debian configuration filed under another release (its version drives the rules)."""
    return {f"boot/config-{release}": debian_config(), SYSTEMD: b"\x7fELF"}


def docker_archive(tmp_path: Path, spec: dict[str, Item]) -> Path:
    """A one-layer ``docker save`` archive of ``spec``."""
    layer = to_tar(make_tree(spec), tmp_path / "layer.tar").read_bytes()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
    }
    manifest = [{"Config": "config.json", "RepoTags": ["demo:1"], "Layers": ["layer.tar"]}]
    members = {
        "manifest.json": json.dumps(manifest).encode(),
        "config.json": json.dumps(config).encode(),
        "layer.tar": layer,
    }
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_debian_cloud_config_is_quiet_under_kubernetes(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(), profiles=("kubernetes",))
    assert loud(result) == []
    aufs = only(result, "kubernetes.kconfig.CONFIG_AUFS_FS")
    assert (aufs.outcome, aufs.level, aufs.message) == (
        Outcome.FAIL,
        Level.NOTE,
        "CONFIG_AUFS_FS is absent",
    )
    assert only(result, "kubernetes.kernel.version").outcome is Outcome.PASS


def test_debian_cloud_config_under_docker_warns_only_about_vsyscall_none(tmp_path: Path) -> None:
    spec = rootfs(extra={"sbin/apparmor_parser": File(b"\x7fELF", mode=0o755)})
    result = scan(tmp_path, spec, profiles=("docker",))
    assert loud(result) == [
        (
            "docker.kconfig.CONFIG_LEGACY_VSYSCALL_NONE",
            "warning",
            "CONFIG_LEGACY_VSYSCALL_NONE=y: containers with eglibc 2.13 or older will not work",
        )
    ]
    vsyscall = only(result, "docker.kconfig.CONFIG_LEGACY_VSYSCALL_NONE")
    assert (vsyscall.location.path, vsyscall.location.line) == (CONFIG_PATH, VSYSCALL_NONE_LINE)


def test_kubernetes_required_symbol_off_is_an_error_at_its_line(tmp_path: Path) -> None:
    config = turn_off("NETFILTER_XT_MATCH_COMMENT", "m")
    result = scan(tmp_path, rootfs(config), profiles=("kubernetes",))
    evaluation = only(result, "kubernetes.kconfig.CONFIG_NETFILTER_XT_MATCH_COMMENT")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert (evaluation.location.path, evaluation.location.line) == (CONFIG_PATH, XT_COMMENT_LINE)
    assert evaluation.message == "# CONFIG_NETFILTER_XT_MATCH_COMMENT is not set"


def test_kubernetes_alias_satisfies_the_requirement(tmp_path: Path) -> None:
    config = turn_off("NETFILTER_XT_TARGET_REDIRECT", "m").replace(
        "CONFIG_IP_NF_TARGET_REDIRECT=m\n", "CONFIG_IP_NF_TARGET_REDIRECT=y\n"
    )
    result = scan(tmp_path, rootfs(config), profiles=("kubernetes",))
    evaluation = only(result, "kubernetes.kconfig.CONFIG_NETFILTER_XT_TARGET_REDIRECT")
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.message == "CONFIG_IP_NF_TARGET_REDIRECT=y (via CONFIG_IP_NF_TARGET_REDIRECT)"
    assert evaluation.location.line == IP_NF_REDIRECT_LINE


def test_cgroup_v1_list_is_not_applicable_on_a_v2_boot(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(turn_off("CGROUP_FREEZER")), profiles=("kubernetes",))
    freezer = only(result, "kubernetes.kconfig.CONFIG_CGROUP_FREEZER")
    assert freezer.outcome is Outcome.NOT_APPLICABLE
    assert only(result, "kubernetes.kconfig.CONFIG_CGROUP_BPF").outcome is Outcome.PASS


def test_cgroup_v1_boot_checks_the_v1_list_and_is_an_error(tmp_path: Path) -> None:
    spec = rootfs(turn_off("CGROUP_FREEZER"), extra={"boot/grub/grub.cfg": FORCE_V1})
    result = scan(tmp_path, spec, profiles=("kubernetes",))
    freezer = only(result, "kubernetes.kconfig.CONFIG_CGROUP_FREEZER")
    assert (freezer.outcome, freezer.level) == (Outcome.FAIL, Level.ERROR)
    assert (freezer.location.path, freezer.location.line) == (CONFIG_PATH, CGROUP_FREEZER_LINE)
    assert only(result, "kubernetes.kconfig.CONFIG_CGROUP_BPF").outcome is Outcome.NOT_APPLICABLE
    hierarchy = only(result, "kubernetes.cgroups.v2")
    assert (hierarchy.outcome, hierarchy.level) == (Outcome.FAIL, Level.ERROR)
    assert (hierarchy.location.path, hierarchy.location.line) == ("/boot/grub/grub.cfg", 2)
    assert hierarchy.message.startswith("cgroup v1 is deprecated and kubelet 1.35+ refuses it: ")


def test_kernel_outside_the_supported_series_is_a_warning(tmp_path: Path) -> None:
    result = scan(tmp_path, renamed("5.8.0-3-amd64"), profiles=("kubernetes",))
    evaluation = only(result, "kubernetes.kernel.version")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.WARNING)
    assert evaluation.message.startswith(
        "kernel release is unsupported: kernel 5.8.0-3-amd64 matches none of ^5\\.4.*$, "
    )


def test_docker_optional_symbol_off_is_a_warning_at_its_line(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(turn_off("USER_NS")), profiles=("docker",))
    evaluation = only(result, "docker.kconfig.CONFIG_USER_NS")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.WARNING)
    assert (evaluation.location.path, evaluation.location.line) == (CONFIG_PATH, USER_NS_LINE)
    assert evaluation.message == "# CONFIG_USER_NS is not set"


def test_version_conditional_rule_is_not_applicable_on_a_newer_kernel(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(), profiles=("docker",))
    evaluation = only(result, "docker.kconfig.CONFIG_NF_NAT_IPV4")
    assert evaluation.outcome is Outcome.NOT_APPLICABLE
    assert evaluation.message == f"kernel {R} is newer than 5.1"


def test_version_conditional_rule_applies_on_an_older_kernel(tmp_path: Path) -> None:
    release = "4.19.0-27-cloud-amd64"
    result = scan(tmp_path, renamed(release), profiles=("docker",))
    evaluation = only(result, "docker.kconfig.CONFIG_NF_NAT_IPV4")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert evaluation.location.path == f"/boot/config-{release}"
    assert evaluation.message == "CONFIG_NF_NAT_IPV4 is absent"
    below = only(result, "docker.kconfig.CONFIG_DEVPTS_MULTIPLE_INSTANCES")
    assert (below.outcome, below.message) == (
        Outcome.NOT_APPLICABLE,
        f"kernel {release} is not older than 4.8",
    )


def test_ext3_rules_wait_for_ext4_not_serving_ext3(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(turn_off("EXT4_USE_FOR_EXT2")), profiles=("docker",))
    evaluation = only(result, "docker.kconfig.CONFIG_EXT3_FS")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.WARNING)
    assert evaluation.message == "# CONFIG_EXT3_FS is not set"
    quiet = only(
        scan(tmp_path / "2", rootfs(), profiles=("docker",)), "docker.kconfig.CONFIG_EXT3_FS"
    )
    assert quiet.outcome is Outcome.NOT_APPLICABLE


def test_apparmor_enabled_without_parser_is_a_docker_error(tmp_path: Path) -> None:
    evaluation = only(scan(tmp_path, rootfs(), profiles=("docker",)), "docker.apparmor.parser")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert evaluation.message.startswith(
        "AppArmor is enabled but apparmor_parser is missing: apparmor_parser is not in PATH"
    )


PACK = """\
schema: 1
pack: t
rules:
  - id: t.version
    title: t
    level: warning
    help: h
    message: m
    subject: kernel
    check: {kernel_version: %s}
"""


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ("{matches: ['^5\\\\.(']}", "'matches' is not a valid regular expression (missing )"),
        ("{matches: []}", "'matches' is a non-empty list, each a regular expression"),
        ("{below: banana}", "'below' is a quoted version like \"3.10\", not 'banana'"),
        ("{min: 3.10}", "'min' is a quoted version like \"3.10\", not 3.1"),
        ("{}", "give at least one of 'min', 'max', 'below', 'matches'"),
    ],
)
def test_bad_kernel_version_parameters_name_the_line(params: str, problem: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_pack(PACK % params, "rules/t.yaml")
    assert str(caught.value).startswith("rules/t.yaml:10: rule 't.version': kernel_version: ")
    assert problem in str(caught.value)


def test_container_image_reports_kernel_rules_of_every_pack_once(tmp_path: Path) -> None:
    image = docker_archive(tmp_path, {"etc/hosts": "127.0.0.1 localhost\n"})
    result = analyze(Config(str(image), profiles=("k0s", "kubernetes", "docker")))
    peers = [e for e in result.evaluations if e.rule_id.startswith(("kubernetes.", "docker."))]
    assert {(e.outcome, e.message) for e in peers} == {(Outcome.NOT_APPLICABLE, HOST_KERNEL)}
    host = [e for e in result.evaluations if e.message == HOST_KERNEL]
    assert len(host) > len(peers) > 0
    lines = [line for line in render(result).splitlines() if HOST_KERNEL in line]
    assert lines == [f"{len(host)} kernel rules not applicable: {HOST_KERNEL}"]


@pytest.mark.parametrize("pack", ["docker", "kubernetes", "k0s-kernel"])
def test_every_kconfig_rule_help_names_its_option(pack: str) -> None:
    rules = load_pack(packs_dir() / f"{pack}.yaml")
    named = {r.id.rsplit(".", 1)[-1]: r.info.help_markdown for r in rules if ".kconfig." in r.id}
    assert named
    assert [s for s, text in named.items() if f"`{s}" not in text] == []


def test_every_cgroup_controller_help_names_the_controller_option() -> None:
    rules = load_pack(packs_dir() / "kubernetes.yaml")
    helps = {
        r.id.rsplit(".", 1)[-1]: r.info.help_markdown
        for r in rules
        if r.id.startswith("kubernetes.cgroups.controller.")
    }
    assert set(helps) <= set(CONTROLLERS) and helps
    for name, text in helps.items():
        assert f"`CONFIG_{CONTROLLERS[name].symbols[0]}=y`" in text
        assert f"`cgroup_disable={name}`" in text
