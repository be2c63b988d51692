"""The example CIS-style pack (``examples/packs/cis-sshd.yaml``) on trees that pass and fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import File, Item, Symlink, make_tree, to_dir
from clirun import scan_json

from analyzer.model import Evaluation, Outcome, RunResult
from analyzer.pipeline import Config, analyze

PACK = Path(__file__).resolve().parents[2] / "examples" / "packs" / "cis-sshd.yaml"
UNIT = "lib/systemd/system/ssh.service"
WANTS = "etc/systemd/system/multi-user.target.wants/ssh.service"
STATUS = (
    "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u3\n"
    "Architecture: amd64\n\nPackage: base-files\nStatus: install ok installed\nVersion: 12.4\n"
)
BASE: dict[str, Item] = {
    "etc/os-release": "ID=debian\nVERSION_ID=12\n",
    "lib/systemd/systemd": File(b"\x7fELF", mode=0o755),
    "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
    "etc/group": "root:x:0:\nshadow:x:42:\n",
    UNIT: "[Unit]\nDescription=OpenBSD Secure Shell server\n",
}
GOOD: dict[str, Item] = {
    **BASE,
    "var/lib/dpkg/status": STATUS,
    WANTS: Symlink("/lib/systemd/system/ssh.service"),
    "etc/shadow": File("root:*:19000:0:99999:7:::\n", mode=0o640, gid=42),
    "etc/gshadow": File("root:*::\n", mode=0o640, gid=42),
    "etc/ssh/sshd_config": File(
        "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nX11Forwarding no\n"
        "PasswordAuthentication yes\nMatch User backup\n  PermitRootLogin yes\n",
        mode=0o600,
    ),
    "etc/ssh/sshd_config.d/10-keys-only.conf": File("PasswordAuthentication no\n", mode=0o600),
}
BAD: dict[str, Item] = {
    **BASE,
    "var/lib/dpkg/status": STATUS.split("\n\n")[1],
    "etc/systemd/system/ssh.service": Symlink("/dev/null"),
    WANTS: Symlink("/lib/systemd/system/ssh.service"),
    "etc/shadow": File("root:*:19000:0:99999:7:::\n", mode=0o644, gid=1000),
    "etc/ssh/sshd_config": File(
        "Include /etc/ssh/sshd_config.d/*.conf\n#PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nX11Forwarding yes\n",
        mode=0o644,
        uid=1000,
    ),
    "etc/ssh/sshd_config.d/50-cloud-init.conf": File("PasswordAuthentication yes\n", mode=0o600),
}


def scan(tmp_path: Path, spec: dict[str, Item]) -> RunResult:
    target = to_dir(make_tree(spec), tmp_path / "rootfs")
    return analyze(Config(str(target), profiles=("cis-sshd",), rule_files=(str(PACK),)))


def results(result: RunResult) -> dict[str, list[Evaluation]]:
    found: dict[str, list[Evaluation]] = {}
    for evaluation in result.evaluations:
        found.setdefault(evaluation.rule_id, []).append(evaluation)
    return found


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Evaluation]]:
    return results(scan(tmp_path_factory.mktemp("good"), GOOD))


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Evaluation]]:
    return results(scan(tmp_path_factory.mktemp("bad"), BAD))


def test_every_rule_passes_on_the_good_tree(good: dict[str, list[Evaluation]]) -> None:
    assert sorted(good) == sorted(
        f"cis-sshd.{name}"
        for name in (
            "openssh-server.installed", "service.enabled", "shadow.mode", "shadow.owner",
            "sshd-config.mode", "permit-root-login", "password-authentication", "x11-forwarding",
        )
    )  # fmt: skip
    failed = [e for found in good.values() for e in found if e.outcome is not Outcome.PASS]
    assert failed == []
    (installed,) = good["cis-sshd.openssh-server.installed"]
    assert installed.message == "openssh-server 1:9.2p1-2+deb12u3 (amd64) is installed"
    assert installed.location.path == "/var/lib/dpkg/status"
    (root,) = good["cis-sshd.permit-root-login"]
    assert (root.location.path, root.location.line) == ("/etc/ssh/sshd_config", 2)
    (password,) = good["cis-sshd.password-authentication"]
    assert password.location.path == "/etc/ssh/sshd_config.d/10-keys-only.conf"
    assert password.location.line == 1
    (enabled,) = good["cis-sshd.service.enabled"]
    assert enabled.message == f"ssh.service is enabled (/{WANTS})"
    assert enabled.location.path == f"/{WANTS}"


def test_every_rule_fails_on_the_bad_tree(bad: dict[str, list[Evaluation]]) -> None:
    failed = [e for found in bad.values() for e in found if e.outcome is Outcome.FAIL]
    outcome = {(e.rule_id, e.location.path, e.location.line, e.message) for e in failed}
    assert outcome == {
        ("cis-sshd.openssh-server.installed", "/var/lib/dpkg/status", None,
         "neither openssh-server nor openssh is installed "
         "(/var/lib/dpkg/status (dpkg, 1 package))"),
        ("cis-sshd.service.enabled", "/etc/systemd/system/ssh.service", None,
         "/etc/systemd/system/ssh.service masks the unit"),
        ("cis-sshd.shadow.mode", "/etc/shadow", None,
         "/etc/shadow has mode 0644, allowing 0004 beyond 0640"),
        ("cis-sshd.shadow.owner", "/etc/shadow", None,
         "/etc/shadow is owned by root:1000: group is not shadow or root"),
        ("cis-sshd.permit-root-login", "/etc/ssh/sshd_config", None,
         "root can log in over SSH: no matching line in /etc/ssh/sshd_config, "
         "/etc/ssh/sshd_config.d/50-cloud-init.conf"),
        ("cis-sshd.password-authentication", "/etc/ssh/sshd_config.d/50-cloud-init.conf", 1,
         "sshd accepts passwords: PasswordAuthentication yes"),
        ("cis-sshd.x11-forwarding", "/etc/ssh/sshd_config", 4,
         "sshd forwards X11: X11Forwarding yes"),
        ("cis-sshd.sshd-config.mode", "/etc/ssh/sshd_config", None,
         "/etc/ssh/sshd_config has mode 0644, allowing 0044 beyond 0600; "
         "/etc/ssh/sshd_config is owned by 1000:root: user is not root"),
    }  # fmt: skip


def test_pack_through_the_command_line(tmp_path: Path) -> None:
    target = to_dir(make_tree(BAD), tmp_path / "rootfs")
    code, report = scan_json(str(target), "--rules", str(PACK), "--profile", "cis-sshd")
    assert code == 1
    failed = {
        (e["rule_id"], e["location"]["path"], e["message"])
        for e in report["evaluations"]
        if e["outcome"] == "fail"
    }
    assert ("cis-sshd.shadow.mode", "/etc/shadow",
            "/etc/shadow has mode 0644, allowing 0004 beyond 0640") in failed  # fmt: skip
    assert len(failed) == 8
