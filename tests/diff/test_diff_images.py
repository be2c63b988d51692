"""``imgaudit diff`` of two golden images built here as qcow2 disks with the real tools.

The two images differ in the kernel (release, configuration, one module), the machine ID,
one executable and the OS version; the diff must name each change on its own line, and exit
1 only when the new image brings a finding at or above ``--fail-on``.
"""

from __future__ import annotations

import lzma
from pathlib import Path

import pytest
from builders import File, Item, Symlink
from clirun import one_line_error, run_cli
from disk_builders import have, to_disk
from jsonreports import load_report

pytestmark = pytest.mark.skipif(
    not all(have(t) for t in ("mkfs.ext4", "sfdisk", "qemu-img")),
    reason="needs e2fsprogs, fdisk and qemu-utils",
)

ELF = Path("/usr/bin/true").read_bytes()
OLD_RELEASE, NEW_RELEASE = "6.1.0-21-cloud-amd64", "6.1.0-22-cloud-amd64"
MACHINE_ID = "4b1e3c6f0d2a4e8f9a7b6c5d4e3f2a1b"
PROFILES = ("--profile", "golden-image", "--profile", "k0s")


def golden(release: str, config: str, modules: tuple[str, ...], machine_id: str, version: str,
           extra: dict[str, Item]) -> dict[str, Item]:  # fmt: skip
    """A small golden image: os-release, machine ID, a kernel with config and modules."""
    tree: dict[str, Item] = {
        "etc/os-release": f'ID=debian\nVERSION_ID="{version}"\nPRETTY_NAME="Debian {version}"\n',
        "etc/machine-id": File(machine_id),
        "etc/hosts": "127.0.0.1 localhost\n",
        "usr/bin/env": File(ELF, mode=0o755),
        "bin": Symlink("usr/bin"),
        f"boot/config-{release}": config,
        f"boot/vmlinuz-{release}": b"MZ" + bytes(4094),
        f"lib/modules/{release}/modules.dep": "".join(f"{m}:\n" for m in modules),
        **{f"lib/modules/{release}/{m}": lzma.compress(m.encode()) for m in modules},
        **extra,
    }
    return tree


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The old and the new golden image, as qcow2 disks."""
    work = tmp_path_factory.mktemp("diff")
    old = golden(
        OLD_RELEASE,
        "CONFIG_OVERLAY_FS=m\nCONFIG_BRIDGE=m\n# CONFIG_BPF_JIT is not set\n",
        ("kernel/fs/overlayfs/overlay.ko.xz", "kernel/net/bridge/bridge.ko.xz"),
        "uninitialized\n",
        "12",
        {},
    )
    new = golden(
        NEW_RELEASE,
        "CONFIG_OVERLAY_FS=y\nCONFIG_BRIDGE=m\nCONFIG_BPF_JIT=y\nCONFIG_NF_TABLES=m\n",
        ("kernel/net/bridge/bridge.ko.xz", "kernel/net/netfilter/nf_tables.ko.xz"),
        f"{MACHINE_ID}\n",
        "12.5",
        {"usr/bin/curl": File(ELF, mode=0o755)},
    )
    return (
        to_disk(old, work / "golden-41.qcow2", fmt="qcow2"),
        to_disk(new, work / "golden-42.qcow2", fmt="qcow2"),
    )


def test_text_names_kernel_and_machine_id_changes(images: tuple[Path, Path]) -> None:
    old, new = images
    done = run_cli("diff", str(old), str(new), *PROFILES, "--fail-on", "warning", "-q")
    assert done.returncode == 1, done.stderr  # the populated machine ID is a new warning
    lines = done.stdout.decode().splitlines()
    assert lines[:2] == [f"Old: {old} (vm, read as disk)", f"New: {new} (vm, read as disk)"]
    section = lines.index("Kernel:")
    assert f"  ~ release: {OLD_RELEASE} -> {NEW_RELEASE}" in lines[section:]
    assert (
        f"  ~ configuration: configuration from /boot/config-{OLD_RELEASE} -> "
        f"configuration from /boot/config-{NEW_RELEASE}" in lines
    )
    config = lines.index("Kernel configuration:")
    assert lines[config + 1 : config + 4] == [
        "  ~ CONFIG_BPF_JIT: not set -> y",
        "  + CONFIG_NF_TABLES: m",
        "  ~ CONFIG_OVERLAY_FS: m -> y",
    ]
    modules = lines.index("Kernel modules:")
    assert lines[modules + 1 : modules + 3] == ["  + nf_tables", "  - overlay"]
    assert "  + curl: /usr/bin/curl" in lines
    assert f"  ~ /etc/machine-id: uninitialized -> valid {MACHINE_ID}" in lines
    assert "  ~ VERSION_ID: 12 -> 12.5" in lines
    new_findings = lines.index("New findings:")
    assert lines[new_findings + 1] == (
        f"  warning golden-image.machine-id.populated at /etc/machine-id:1: /etc/machine-id "
        f"holds the machine ID {MACHINE_ID}; every clone will share this machine ID"
    )


def test_json_and_markdown(images: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = images
    out = tmp_path / "diff.json"
    done = run_cli("diff", str(old), str(new), *PROFILES, "--format", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr  # a new warning is below the default threshold
    doc = load_report(out.read_text(encoding="utf-8"))
    assert doc["schema"] == "imgaudit/diff/v1"
    assert {"section": "kernel", "subject": "release", "kind": "changed",
            "old": OLD_RELEASE, "new": NEW_RELEASE} in doc["changes"]  # fmt: skip
    assert {"section": "identity", "subject": "/etc/machine-id", "kind": "changed",
            "old": "uninitialized", "new": f"valid {MACHINE_ID}"} in doc["changes"]  # fmt: skip
    new_findings = [(f["rule_id"], f["level"]) for f in doc["findings"] if f["kind"] == "new"]
    # the kernel's findings stay the same findings across the release change
    assert new_findings == [("golden-image.machine-id.populated", "warning")]
    assert [f["rule_id"] for f in doc["findings"] if f["kind"] == "fixed"] == []
    changed = {f["rule_id"]: f for f in doc["findings"] if f["kind"] == "changed"}
    assert changed["k0s.kconfig.CONFIG_NF_NAT_IPV4"]["before"]["message"].startswith(
        f"CONFIG_NF_NAT_IPV4 does not exist in {OLD_RELEASE}"
    )
    done = run_cli("diff", str(old), str(new), *PROFILES, "--format", "markdown")
    text = done.stdout.decode()
    assert f"| ~ | `release` | `{OLD_RELEASE}` | `{NEW_RELEASE}` |" in text
    assert f"| ~ | `/etc/machine-id` | `uninitialized` | `valid {MACHINE_ID}` |" in text


def test_same_image_has_no_differences(images: tuple[Path, Path]) -> None:
    old, _ = images
    done = run_cli("diff", str(old), str(old), *PROFILES, "--fail-on", "note", "-q")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert "No differences in the compared facts and findings." in lines
    assert lines[-1] == "0 changes; 0 new findings, 0 fixed, 0 changed"


def test_bad_input_is_a_one_line_error(images: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = images
    junk = tmp_path / "junk.qcow2"
    junk.write_bytes(b"QFI\xfb" + bytes(60))
    done = run_cli("diff", str(junk), str(old), "-q")
    assert one_line_error(done).startswith("imgaudit: junk.qcow2: corrupt qcow2 header")
