"""k0s.name-resolution.localhost: hosts lines with layers, the resolved stub, nsswitch evidence."""

from __future__ import annotations

from pathlib import Path

from builders import File, Item, Symlink
from scenarios import only, scan

from analyzer.model import Level, Outcome

RULE = "k0s.name-resolution.localhost"
STUB = "../run/systemd/resolve/stub-resolv.conf"
RESOLVED: dict[str, Item] = {
    "usr/lib/systemd/systemd-resolved": File(b"x", mode=0o755),
    "lib": Symlink("usr/lib"),
}
WANTS = "etc/systemd/system/sysinit.target.wants/systemd-resolved.service"


def test_localhost_line_is_located_with_its_layer(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/hosts": "# static\n10.0.0.1 db\n127.0.0.1 localhost\n::1 localhost\n"
    }
    evaluation = only(scan(tmp_path, spec, form="tar"), RULE)
    assert evaluation.outcome is Outcome.PASS
    assert (evaluation.location.path, evaluation.location.line) == ("/etc/hosts", 3)
    assert evaluation.location.layer is not None
    assert evaluation.message == "localhost: [127.0.0.1, ::1] from /etc/hosts"


def test_hosts_as_a_link_is_located_at_its_target(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/hosts": Symlink("/usr/share/base/hosts"),
        "usr/share/base/hosts": "127.0.0.1 localhost\n",
    }
    evaluation = only(scan(tmp_path, spec), RULE)
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.location.path == "/usr/share/base/hosts"
    assert evaluation.location.access_path == "/etc/hosts"
    assert evaluation.location.line == 1


def test_missing_localhost_with_myhostname_names_the_nsswitch_line(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/hosts": "127.0.1.1 debian\n",
        "etc/nsswitch.conf": "passwd: files\nhosts:          files myhostname dns\n",
    }
    evaluation = only(scan(tmp_path, spec), RULE)
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.level is Level.ERROR
    assert (evaluation.location.path, evaluation.location.line) == ("/etc/hosts", None)
    assert evaluation.message == (
        "localhost does not resolve without NSS: /etc/hosts has no entry for localhost;"
        " nsswitch.conf relies on myhostname, so glibc tools will resolve localhost while"
        " static binaries such as k0s will not"
    )
    assert "/etc/nsswitch.conf:2: hosts: files myhostname dns" in evaluation.evidence


def test_enabled_resolved_stub_answers_localhost(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/hosts": "",
        "etc/resolv.conf": Symlink(STUB),
        WANTS: Symlink("/lib/systemd/system/systemd-resolved.service"),
        **RESOLVED,
    }
    evaluation = only(scan(tmp_path, spec), RULE)
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.location.path == "/etc/resolv.conf"
    assert f"/etc/resolv.conf -> {STUB} (the systemd-resolved stub)" in evaluation.evidence
    assert f"systemd-resolved: enabled (/{WANTS} (enablement link))" in evaluation.evidence


def test_stub_link_without_enabled_resolved_fails(tmp_path: Path) -> None:
    spec: dict[str, Item] = {"etc/hosts": "", "etc/resolv.conf": Symlink(STUB), **RESOLVED}
    evaluation = only(scan(tmp_path, spec), RULE)
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.message.endswith(
        "resolv.conf points at the systemd-resolved stub, but the service is disabled"
    )


def test_masked_resolved_does_not_count(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/hosts": "",
        "etc/resolv.conf": Symlink(STUB),
        WANTS: Symlink("/lib/systemd/system/systemd-resolved.service"),
        "etc/systemd/system/systemd-resolved.service": Symlink("/dev/null"),
        **RESOLVED,
    }
    evaluation = only(scan(tmp_path, spec), RULE)
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.message.endswith("but the service is masked")


def test_missing_hosts_file(tmp_path: Path) -> None:
    evaluation = only(scan(tmp_path, {"etc/os-release": "ID=arch\n"}), RULE)
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.message == "localhost does not resolve without NSS: /etc/hosts does not exist"
