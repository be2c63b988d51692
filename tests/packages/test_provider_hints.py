"""Findings about a missing program name its package, or say the package lost the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import File, Item, Symlink
from scenarios import only, scan

from analyzer.model import Outcome
from analyzer.packages.providers import family, table

BUSYBOX = Path("/bin/busybox")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n'


@pytest.mark.skipif(not BUSYBOX.is_file(), reason="busybox-static is not installed")
def test_busybox_without_adduser_fails_and_names_the_debian_package(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/os-release": "ID=debian\nVERSION_ID=12\n",
        "bin/busybox": File(BUSYBOX.read_bytes(), mode=0o755),
        "bin/adduser": Symlink("busybox"),
    }
    evaluation = only(scan(tmp_path, spec, role="controller"), "k0s.executables.useradd")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.location.path == "/bin/adduser"
    assert evaluation.message == (
        "k0s install cannot create system users: neither useradd nor adduser is usable: "
        "/bin/adduser -> /bin/busybox: /bin/busybox has no adduser applet; "
        "on debian the passwd package provides useradd"
    )
    assert evaluation.properties["package"] == "passwd"


def test_missing_mount_on_fedora_names_util_linux(tmp_path: Path) -> None:
    spec: dict[str, Item] = {"usr/lib/os-release": FEDORA}
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.executables.mount")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.location.path == "/"
    assert evaluation.message == (
        f"kubelet cannot mount volumes: mount is not in PATH {DEFAULT_PATH}; "
        "on fedora the util-linux package provides mount"
    )


def test_installed_package_whose_file_is_gone_is_named(
    tmp_path: Path, rpmdb: tuple[dict[str, bytes], str]
) -> None:
    spec: dict[str, Item] = {"usr/lib/os-release": FEDORA, **rpmdb[0]}
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.executables.umount")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.message == (
        f"kubelet cannot unmount volumes: umount is not in PATH {DEFAULT_PATH}; "
        "util-linux is installed but its file /usr/bin/umount is missing"
    )


def test_family_follows_id_like() -> None:
    rocky = {"ID": "rocky", "ID_LIKE": "rhel centos fedora"}
    assert family(rocky, "useradd") == "rhel"
    assert table()["useradd"]["rhel"] == "shadow-utils"
    assert family({"ID": "opensuse-leap", "ID_LIKE": "suse opensuse"}, "mount") == "suse"
    assert family({"ID": "alpine"}, "mount") == "alpine"
    assert family({"ID": "plan9"}, "mount") is None
