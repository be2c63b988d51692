"""The configuration in ``configs.ko`` (``CONFIG_IKCONFIG=m``), and whether k0s can read it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from builders import File, Item, Symlink
from kernel_synth import bzimage, compress, configs_ko, pe_image, vmlinux
from scenarios import build, collect, evaluations, only, scan
from test_kernel_rules import SYSTEMD, R, debian_config

from analyzer.collectors.kernels import KernelsCollector
from analyzer.facts import MODULES_LOAD
from analyzer.model import Fact, Level, Outcome
from analyzer.policy.kernels import kernel_subjects
from analyzer.policy.leaves.kconfigruntime import KernelConfigRuntime
from analyzer.report.sarif import render

BASE = f"lib/modules/{R}"
MODULE = f"/{BASE}/kernel/kernel/configs.ko"
RUNTIME = "k0s.kernel.config-runtime"
NO_PROC = "# CONFIG_IKCONFIG is not set\n"
#: The module compressions of ``CONFIG_MODULE_COMPRESS_*`` and the tool that writes each.
COMPRESSIONS = {"": None, ".xz": "xz", ".zst": "zstd", ".gz": "gzip"}


def ikconfig(value: str, proc: bool = True) -> str:
    """The Debian configuration with ``CONFIG_IKCONFIG`` (and ``_PROC``) set as asked."""
    config = debian_config()
    assert NO_PROC in config
    lines = f"CONFIG_IKCONFIG={value}\n" + ("CONFIG_IKCONFIG_PROC=y\n" if proc else "")
    return config.replace(NO_PROC, lines)


def modules_only(suffix: str = "", extra: Mapping[str, Item] | None = None) -> dict[str, Item]:
    """A tree holding only the release's modules directory, ``configs.ko`` among its modules."""
    module = configs_ko(ikconfig("m"), R)
    tool = COMPRESSIONS[suffix]
    spec: dict[str, Item] = {
        f"{BASE}/modules.dep": f"kernel/kernel/configs.ko{suffix}:\n"
        f"kernel/net/netfilter/nf_conntrack.ko{suffix}:\n",
        f"{BASE}/kernel/kernel/configs.ko{suffix}": compress(tool, module) if tool else module,
        f"{BASE}/kernel/net/netfilter/nf_conntrack.ko{suffix}": b"\x7fELF",
        SYSTEMD: b"\x7fELF",
    }
    spec.update(extra or {})
    return spec


@pytest.mark.parametrize("suffix", list(COMPRESSIONS))
def test_modules_tree_alone_gives_the_config_at_the_module(tmp_path: Path, suffix: str) -> None:
    result = scan(tmp_path, modules_only(suffix), role="worker")
    module = MODULE + suffix
    kconfig = [e for e in result.evaluations if e.rule_id.startswith("k0s.kconfig.")]
    assert len(kconfig) > 50
    assert [e.rule_id for e in kconfig if e.outcome is Outcome.UNKNOWN] == []
    assert {e.location.path for e in kconfig if e.location} == {module}
    evidence = f"configuration from the configs module {module} (IKCONFIG=m)"
    assert all(evidence in e.evidence for e in kconfig)
    assert only(result, "k0s.kconfig.CONFIG_NF_CONNTRACK").outcome is Outcome.PASS
    runtime = only(result, RUNTIME)
    assert (runtime.outcome, runtime.level) == (Outcome.FAIL, Level.WARNING)
    assert (runtime.location.path, runtime.location.line) == (module, None)
    assert runtime.message == (
        f"k0s cannot read the kernel config at runtime: the kernel configuration is only in"
        f" {module} (CONFIG_IKCONFIG=m) and nothing loads the configs module at boot:"
        " /proc/config.gz will not exist and k0s's kernel checks will be skipped"
    )
    [sarif] = [
        r for r in json.loads(render(result))["runs"][0]["results"] if r["ruleId"] == RUNTIME
    ]
    assert sarif["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        f"image{module}"
    )


@pytest.mark.parametrize(
    ("path", "content", "line"),
    [
        ("etc/modules-load.d/k0s.conf", "configs\n", 1),
        ("etc/modules", "# /etc/modules: kernel modules to load at boot time.\nloop\nconfigs\n", 3),
        ("usr/lib/modules-load.d/k0s.conf", "; k0s\nconfigs\n", 2),
        ("run/modules-load.d/k0s.conf", "configs\n", 1),
        ("etc/conf.d/modules", '# OpenRC\nmodules="loop configs"\n', 2),
    ],
)
def test_a_modules_load_entry_makes_the_config_readable(
    tmp_path: Path, path: str, content: str, line: int
) -> None:
    result = scan(tmp_path, modules_only(extra={path: content}), role="worker")
    runtime = only(result, RUNTIME)
    assert runtime.outcome is Outcome.PASS
    assert (runtime.location.path, runtime.location.line) == (f"/{path}", line)
    assert runtime.message.endswith("loads the configs module at boot: k0s reads /proc/config.gz")


def test_modprobe_in_an_enabled_unit_makes_the_config_readable(tmp_path: Path) -> None:
    unit = "[Service]\nType=oneshot\nExecStartPre=-/sbin/modprobe -q configs\nExecStart=/bin/true\n"
    extra: dict[str, Item] = {
        "etc/systemd/system/ikconfig.service": unit,
        "etc/systemd/system/multi-user.target.wants/ikconfig.service": Symlink(
            "/etc/systemd/system/ikconfig.service"
        ),
    }
    runtime = only(scan(tmp_path, modules_only(extra=extra), role="worker"), RUNTIME)
    assert runtime.outcome is Outcome.PASS
    assert runtime.location.path == "/etc/systemd/system/ikconfig.service"
    assert runtime.location.line == 3
    disabled = {"etc/systemd/system/ikconfig.service": unit}
    quiet = only(scan(tmp_path / "2", modules_only(extra=disabled), role="worker"), RUNTIME)
    assert quiet.outcome is Outcome.FAIL


def test_a_masked_modules_load_file_loads_nothing(tmp_path: Path) -> None:
    extra: dict[str, Item] = {
        "usr/lib/modules-load.d/k0s.conf": "configs\n",
        "etc/modules-load.d/k0s.conf": Symlink("/dev/null"),
    }
    runtime = only(scan(tmp_path, modules_only(extra=extra), role="worker"), RUNTIME)
    assert (runtime.outcome, runtime.level) == (Outcome.FAIL, Level.WARNING)


def test_a_config_file_k0s_reads_passes(tmp_path: Path) -> None:
    spec = modules_only(extra={f"boot/config-{R}": ikconfig("m")})
    result = scan(tmp_path, spec, role="worker")
    runtime = only(result, RUNTIME)
    assert (runtime.outcome, runtime.message, runtime.location.path) == (
        Outcome.PASS,
        f"k0s reads /boot/config-{R}",
        f"/boot/config-{R}",
    )
    cgroups = only(result, "k0s.kconfig.CONFIG_CGROUPS")
    assert cgroups.location.path == f"/boot/config-{R}", "the file comes before configs.ko"


def test_builtin_ikconfig_with_proc_and_no_file_passes(tmp_path: Path) -> None:
    image = bzimage(compress("gzip", vmlinux(R, ikconfig("y"))))
    result = scan(tmp_path, {f"boot/vmlinuz-{R}": image, SYSTEMD: b"\x7fELF"}, role="worker")
    runtime = only(result, RUNTIME)
    assert runtime.outcome is Outcome.PASS
    assert (
        runtime.message == "CONFIG_IKCONFIG=y and CONFIG_IKCONFIG_PROC=y: k0s reads /proc/config.gz"
    )
    assert runtime.location.path == f"/boot/vmlinuz-{R}"


def test_builtin_ikconfig_without_proc_warns(tmp_path: Path) -> None:
    image = bzimage(compress("gzip", vmlinux(R, ikconfig("y", proc=False))))
    result = scan(tmp_path, {f"boot/vmlinuz-{R}": image, SYSTEMD: b"\x7fELF"}, role="worker")
    runtime = only(result, RUNTIME)
    assert (runtime.outcome, runtime.level) == (Outcome.FAIL, Level.WARNING)
    assert "there will be no /proc/config.gz (CONFIG_IKCONFIG_PROC is absent)" in runtime.message


def test_config_nowhere_in_the_image_warns(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        f"{BASE}/modules.dep": "kernel/net/netfilter/nf_conntrack.ko:\n",
        f"{BASE}/kernel/net/netfilter/nf_conntrack.ko": b"\x7fELF",
        SYSTEMD: b"\x7fELF",
    }
    result = scan(tmp_path, spec, role="worker")
    runtime = only(result, RUNTIME)
    assert (runtime.outcome, runtime.level) == (Outcome.FAIL, Level.WARNING)
    assert runtime.message.startswith(
        f"k0s cannot read the kernel config at runtime: the kernel configuration of {R} is"
        f" nowhere in the image (no kernel config found for {R} in /boot/config-{R}, "
    )
    assert runtime.message.endswith(
        "k0s will find no kernel config on this host and its kernel checks will be skipped"
    )
    assert {e.outcome for e in evaluations(result, "k0s.kconfig.CONFIG_CGROUPS")} == {
        Outcome.UNKNOWN
    }


def test_a_broken_configs_module_is_named(tmp_path: Path) -> None:
    spec = modules_only(extra={f"{BASE}/kernel/kernel/configs.ko": File(b"\x7fELF" + bytes(64))})
    result = scan(tmp_path, spec, role="worker")
    [note] = [n for n in result.notifications if n.code == "kernel.configs"]
    assert note.message == "no IKCFG_ST ... IKCFG_ED configuration payload in the module"
    assert note.location is not None and note.location.path == MODULE
    assert only(result, "k0s.kconfig.CONFIG_CGROUPS").outcome is Outcome.UNKNOWN


def test_uki_linux_section_gives_release_and_config(tmp_path: Path) -> None:
    kernel = bzimage(compress("gzip", vmlinux(R, ikconfig("y"))))
    uki = pe_image(
        [(".osrel", b"ID=debian\n"), (".cmdline", b"root=/dev/vda1\x00"), (".linux", kernel)]
    )
    path = "/boot/efi/EFI/Linux/debian.efi"
    result = scan(tmp_path, {path.lstrip("/"): uki, SYSTEMD: b"\x7fELF"}, role="worker")
    cgroups = only(result, "k0s.kconfig.CONFIG_CGROUPS")
    assert (cgroups.outcome, cgroups.discriminator) == (Outcome.PASS, R)
    assert cgroups.location.path == path
    assert f"configuration embedded in {path} (IKCONFIG)" in cgroups.evidence
    assert only(result, RUNTIME).outcome is Outcome.PASS


def test_unreadable_boot_module_lists_make_the_runtime_check_unknown() -> None:
    facts, _ = collect(KernelsCollector(), build(modules_only()))
    facts.put(MODULES_LOAD, Fact.unknown("modules-load collector failed: boom"))
    subjects = kernel_subjects(facts)
    assert isinstance(subjects, list)
    result = KernelConfigRuntime().evaluate(facts, subjects[0])
    assert (result.outcome, result.detail) == (
        Outcome.UNKNOWN,
        "modules-load collector failed: boom",
    )


def test_a_configs_module_built_for_another_release_is_named(tmp_path: Path) -> None:
    other = configs_ko(ikconfig("m"), "5.10.0-30-amd64")
    spec = modules_only(extra={f"{BASE}/kernel/kernel/configs.ko": other})
    result = scan(tmp_path, spec, role="worker")
    [note] = [n for n in result.notifications if n.code == "kernel.configs"]
    assert note.message == (
        f"built for kernel 5.10.0-30-amd64, not {R}: its configuration may not be this kernel's"
    )
    assert note.location is not None and note.location.path == MODULE
