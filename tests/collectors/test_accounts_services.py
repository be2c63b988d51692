"""The ``accounts`` and ``services`` facts: names from the image's files, boot-time links."""

from __future__ import annotations

from builders import File, Item, Symlink
from scenarios import build, collect

from analyzer.collectors.accounts import AccountsCollector
from analyzer.collectors.services import ServicesCollector
from analyzer.facts import ACCOUNTS, SERVICES
from analyzer.facts.accounts import Accounts
from analyzer.facts.services import Services

PASSWD = "root:x:0:0:root:/root:/bin/bash\nsshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n"
GROUP = "root:x:0:\nshadow:x:42:\n# comment\nbad line\nwheel:x:notanumber:\nstaff:x:42:\n"


def accounts(spec: dict[str, Item]) -> Accounts:
    result, notes = collect(AccountsCollector(), build(spec))
    assert notes == []
    return result.get(ACCOUNTS).get()


def services(spec: dict[str, Item]) -> Services:
    result, notes = collect(ServicesCollector(), build(spec))
    assert notes == []
    return result.get(SERVICES).get()


def test_names_come_from_the_image_files() -> None:
    value = accounts({"etc/passwd": PASSWD, "etc/group": GROUP})
    assert value.users.id_of("sshd") == 105
    assert value.groups.id_of("shadow") == 42
    assert value.groups.id_of("wheel") is None
    assert value.groups.name_of(42) == "shadow"  # the first name of an ID wins
    assert value.owner(0, 42) == "root:shadow"
    assert value.owner(1000, 7) == "1000:7"
    location = value.groups.location
    assert location is not None and location.path == "/etc/group"


def test_missing_files_leave_names_unknown() -> None:
    value = accounts({"etc/passwd": PASSWD})
    assert value.groups.names is None
    assert value.groups.problem == "missing"
    assert value.groups.id_of("root") is None


def test_systemd_wants_links_masks_and_units() -> None:
    value = services(
        {
            "lib/systemd/system/ssh.service": "[Unit]\n",
            "lib/systemd/system/cron.service": "[Unit]\n",
            "etc/systemd/system/multi-user.target.wants/ssh.service": Symlink(
                "/lib/systemd/system/ssh.service"
            ),
            "etc/systemd/system/sshd.service": Symlink("/lib/systemd/system/ssh.service"),
            "usr/lib/systemd/system/sockets.target.requires/dbus.socket": Symlink("../dbus.socket"),
            "etc/systemd/system/cron.service": Symlink("/dev/null"),
            "etc/systemd/system/getty.target.wants/getty@tty1.service": Symlink("x"),
            "etc/systemd/system/empty.service": File(b""),
        }
    )
    assert sorted(value.enabled) == ["dbus.socket", "getty@tty1.service", "ssh.service"]
    assert [loc.path for loc in value.enabled["ssh.service"]] == [
        "/etc/systemd/system/multi-user.target.wants/ssh.service"
    ]
    assert sorted(value.masked) == ["cron.service", "empty.service"]
    assert value.masked["cron.service"].path == "/etc/systemd/system/cron.service"
    assert value.units["sshd.service"].path == "/etc/systemd/system/sshd.service"
    assert value.units["cron.service"].path == "/lib/systemd/system/cron.service"


def test_openrc_runlevels() -> None:
    value = services(
        {
            "etc/init.d/sshd": File(b"#!/sbin/openrc-run\n", mode=0o755),
            "etc/runlevels/default/sshd": Symlink("/etc/init.d/sshd"),
            "etc/runlevels/boot/sshd": Symlink("/etc/init.d/sshd"),
        }
    )
    assert [loc.path for loc in value.runlevels["sshd"]] == [
        "/etc/runlevels/boot/sshd",
        "/etc/runlevels/default/sshd",
    ]
    assert value.enabled == {}
