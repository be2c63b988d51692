"""golden-image clone hygiene: one finding per leftover file, at the file, with its message."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import Dir, File, Item, Symlink
from scenarios import evaluations, findings, scan

from analyzer.model import Level, Outcome

GOLDEN = ("golden-image",)


def located(result: object, rule_id: str) -> list[tuple[str, Level, str]]:
    return [(e.location.path, e.level, e.message) for e in findings(result, rule_id)]  # type: ignore[arg-type]


def test_ssh_host_keys_one_error_per_private_key(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/ssh/ssh_host_ed25519_key": File("k" * 10, mode=0o600),
        "etc/ssh/ssh_host_ed25519_key.pub": "ssh-ed25519 AAAA root@build\n",
        "etc/ssh/ssh_host_rsa_key": File("r" * 20, mode=0o600),
        "etc/ssh/sshd_config": "PermitRootLogin no\n",
    }
    assert located(scan(tmp_path, spec, GOLDEN), "golden-image.ssh.host-key") == [
        (
            "/etc/ssh/ssh_host_ed25519_key",
            Level.ERROR,
            "SSH host key baked into the image: /etc/ssh/ssh_host_ed25519_key (10 bytes)",
        ),
        (
            "/etc/ssh/ssh_host_rsa_key",
            Level.ERROR,
            "SSH host key baked into the image: /etc/ssh/ssh_host_rsa_key (20 bytes)",
        ),
    ]


def test_seed_files_and_credential_secret(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "var/lib/systemd/random-seed": File(b"\x01" * 512, mode=0o600),
        "var/lib/urandom/random-seed": File(b"\x02" * 512, mode=0o600),
        "var/lib/systemd/credential.secret": File(b"\x03" * 4096, mode=0o400),
    }
    result = scan(tmp_path, spec, GOLDEN)
    assert [p for p, _, _ in located(result, "golden-image.random-seed")] == [
        "/var/lib/systemd/random-seed",
        "/var/lib/urandom/random-seed",
    ]
    assert located(result, "golden-image.credential-secret") == [
        (
            "/var/lib/systemd/credential.secret",
            Level.WARNING,
            "systemd credential secret baked into the image:"
            " /var/lib/systemd/credential.secret (4096 bytes)",
        )
    ]


def test_cloud_init_instance_state(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "var/lib/cloud/instances/i-0abc/user-data.txt": "#cloud-config\n",
        "var/lib/cloud/instance": Symlink("/var/lib/cloud/instances/i-0abc"),
        "var/lib/cloud/scripts/per-boot": Dir(),
    }
    assert located(scan(tmp_path, spec, GOLDEN), "golden-image.cloud-init.instance-state") == [
        (
            "/var/lib/cloud/instance",
            Level.WARNING,
            "cloud-init state from the build instance:"
            " /var/lib/cloud/instance -> /var/lib/cloud/instances/i-0abc",
        ),
        (
            "/var/lib/cloud/instances/i-0abc",
            Level.WARNING,
            "cloud-init state from the build instance:"
            " /var/lib/cloud/instances/i-0abc (directory, 1 entry)",
        ),
    ]


def test_dhcp_leases_from_each_client(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "var/lib/dhcp/dhclient.eth0.leases": "lease { fixed-address 10.0.2.15; }\n",
        "var/lib/dhcp/dhclient6.leases": "",
        "var/lib/NetworkManager/internal-1234-eth0.lease": "ADDRESS=10.0.2.15\n",
        "var/lib/NetworkManager/NetworkManager.state": "[main]\n",
    }
    found = located(scan(tmp_path, spec, GOLDEN), "golden-image.dhcp.lease")
    assert [(p, lv) for p, lv, _ in found] == [
        ("/var/lib/NetworkManager/internal-1234-eth0.lease", Level.WARNING),
        ("/var/lib/dhcp/dhclient.eth0.leases", Level.WARNING),
    ]
    assert found[1][2] == (
        "DHCP lease from the build host: /var/lib/dhcp/dhclient.eth0.leases (35 bytes)"
    )


def test_persistent_net_rules_with_content_but_not_as_dev_null_link(tmp_path: Path) -> None:
    rules = 'SUBSYSTEM=="net", ATTR{address}=="52:54:00:12:34:56", NAME="eth0"\n'
    result = scan(tmp_path, {"etc/udev/rules.d/70-persistent-net.rules": rules}, GOLDEN)
    assert [p for p, _, _ in located(result, "golden-image.udev.persistent-net")] == [
        "/etc/udev/rules.d/70-persistent-net.rules"
    ]
    quiet = scan(
        tmp_path / "quiet",
        {"etc/udev/rules.d/70-persistent-net.rules": Symlink("/dev/null"), "dev/null": ""},
        GOLDEN,
    )
    assert findings(quiet, "golden-image.udev.persistent-net") == []


def test_shell_histories_of_root_and_users(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "root/.bash_history": "curl -H 'Authorization: token abc' ...\n",
        "root/.lesshst": "",
        "home/alice/.zsh_history": ": 1700000000:0;vault login\n",
        "home/bob/.python_history": "import os\n",
        "home/bob/.profile": "export PATH\n",
    }
    found = located(scan(tmp_path, spec, GOLDEN), "golden-image.shell-history")
    assert [(p, lv) for p, lv, _ in found] == [
        ("/home/alice/.zsh_history", Level.WARNING),
        ("/home/bob/.python_history", Level.WARNING),
        ("/root/.bash_history", Level.WARNING),
    ]
    assert found[2][2] == "history left in the image: /root/.bash_history (39 bytes)"


def test_logs_journal_authorized_keys_and_passwd_backups_are_notes(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "var/log/apt/history.log": "Start-Date: 2026-01-01\n",
        "var/log/dpkg.log": "",
        "var/log/journal/0123456789abcdef0123456789abcdef/system.journal": b"LPKSHHRH",
        "root/.ssh/authorized_keys": "ssh-ed25519 AAAA packer\n",
        "etc/shadow-": "root:*:19000:0:99999:7:::\n",
    }
    result = scan(tmp_path, spec, GOLDEN)
    assert located(result, "golden-image.logs") == [
        (
            "/var/log/apt/history.log",
            Level.NOTE,
            "log content from the build: /var/log/apt/history.log (23 bytes)",
        )
    ]
    assert [p for p, _, _ in located(result, "golden-image.journal")] == [
        "/var/log/journal/0123456789abcdef0123456789abcdef"
    ]
    assert [p for p, _, _ in located(result, "golden-image.ssh.authorized-keys")] == [
        "/root/.ssh/authorized_keys"
    ]
    assert [(p, lv) for p, lv, _ in located(result, "golden-image.passwd-backups")] == [
        ("/etc/shadow-", Level.NOTE)
    ]


def test_finding_carries_the_layer_of_the_file(tmp_path: Path) -> None:
    spec: dict[str, Item] = {"etc/ssh/ssh_host_ecdsa_key": File("x", mode=0o600)}
    result = scan(tmp_path, spec, GOLDEN, form="tar")
    (finding,) = findings(result, "golden-image.ssh.host-key")
    assert finding.location.path == "/etc/ssh/ssh_host_ecdsa_key"
    assert finding.location.layer is not None


@pytest.mark.parametrize("form", ["dir", "tar"])
def test_clean_image_has_no_hygiene_findings(tmp_path: Path, form: str) -> None:
    spec: dict[str, Item] = {
        "etc/machine-id": "",
        "var/lib/dbus/machine-id": Symlink("/etc/machine-id"),
        "etc/ssh/sshd_config": "PermitRootLogin no\n",
        "etc/hostname": "localhost\n",
        "etc/hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost\n",
        "var/log/dpkg.log": "",
        "var/log/journal": Dir(),
        "var/lib/dhcp": Dir(),
        "var/lib/cloud/scripts/per-boot": Dir(),
        "root/.bashrc": "# ~/.bashrc\n",
        "root/.bash_history": "",
        "home/alice/.ssh/authorized_keys": "",
    }
    result = scan(tmp_path, spec, GOLDEN, form=form)
    assert result.findings == ()
    assert {e.outcome for e in evaluations(result, "golden-image.shell-history")} == {Outcome.PASS}
