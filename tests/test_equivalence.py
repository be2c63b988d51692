"""A directory and an archive of the same tree give the same evaluations and facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from builders import File, Hardlink, Item, Symlink, make_tree, to_dir, to_tar

from analyzer.model import Outcome, RunResult
from analyzer.pipeline import Config, analyze
from analyzer.report import FORMATS, ReportOptions

#: A real executable of this machine, so the ELF analyzer sees a well-formed file.
ELF = Path("/usr/bin/true").read_bytes()

SCENARIOS: dict[str, dict[str, Item]] = {
    "merged-usr-debian": {
        "bin": Symlink("usr/bin"),
        "sbin": Symlink("usr/sbin"),
        "lib": Symlink("usr/lib"),
        "etc/hosts": "# static\n127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n",
        "etc/nsswitch.conf": "hosts: files dns\n",
        "etc/os-release": Symlink("../usr/lib/os-release"),
        "usr/lib/os-release": 'ID=debian\nVERSION_ID="12"\n',
        "usr/bin/mount": File(ELF, mode=0o4755),
        "usr/bin/umount": File(ELF, mode=0o4755),
        "usr/bin/id": File(ELF, mode=0o755),
        "usr/sbin/iptables": Symlink("/etc/alternatives/iptables"),
        "etc/alternatives/iptables": Symlink("/usr/sbin/xtables-nft-multi"),
        "usr/sbin/xtables-nft-multi": File(ELF, mode=0o755),
        "usr/sbin/modprobe": Hardlink("usr/bin/id"),
    },
    "minbase-without-hosts": {
        "etc/nsswitch.conf": "hosts: files myhostname dns\n",
        "etc/resolv.conf": Symlink("../run/systemd/resolve/stub-resolv.conf"),
        "usr/bin/mount": File(ELF, mode=0o755),
        "bin": Symlink("usr/bin"),
    },
    "hosts-through-links-in-etc": {
        "etc/hosts": Symlink("/etc/static/hosts"),
        "etc/static": Symlink("../srv/../etc/real"),
        "etc/real/hosts": "127.0.0.1 localhost\n",
        "etc/loop": Symlink("loop"),
    },
}


def comparable(result: RunResult) -> list[tuple[Any, ...]]:
    return [
        (
            e.rule_id,
            e.outcome,
            e.level,
            e.message,
            e.location,
            e.subject,
            e.discriminator,
            e.evidence,
        )
        for e in result.evaluations
    ]


def as_json(result: RunResult) -> dict[str, Any]:
    """The JSON report without the target's identity (its path and source kind differ)."""
    report: dict[str, Any] = json.loads(FORMATS["json"](result, ReportOptions()))
    del report["target"]
    return report


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("compression", [None, "zstd"])
def test_directory_and_archive_give_the_same_evaluations(
    tmp_path: Path, scenario: str, compression: str | None
) -> None:
    spec = make_tree(SCENARIOS[scenario])
    directory = to_dir(spec, tmp_path / "rootfs")
    archive = to_tar(spec, tmp_path / "rootfs.archive", compression)
    from_dir = analyze(Config(str(directory)))
    from_tar = analyze(Config(str(archive)))
    assert comparable(from_dir) == comparable(from_tar)
    assert as_json(from_dir) == as_json(from_tar)
    assert from_dir.complete and from_tar.complete
    assert from_dir.evaluations, "the default profile must evaluate something"


def test_the_scenarios_are_not_trivially_equal(tmp_path: Path) -> None:
    """The comparison can fail: two different trees do not compare equal."""
    results = [
        analyze(Config(str(to_dir(make_tree(SCENARIOS[name]), tmp_path / name))))
        for name in ("merged-usr-debian", "minbase-without-hosts")
    ]
    assert comparable(results[0]) != comparable(results[1])
    outcomes = {
        e.outcome for e in results[1].evaluations if e.rule_id == "k0s.name-resolution.localhost"
    }
    assert outcomes == {Outcome.FAIL}


@pytest.mark.xfail(
    strict=True,
    reason="one streaming pass keeps only declared paths: an archive cannot read /etc/hosts"
    " through a link that leaves /etc, a directory re-reads it (unknown vs pass)",
)
def test_link_out_of_the_captured_paths(tmp_path: Path) -> None:
    spec = make_tree({"etc/hosts": Symlink("/srv/hosts"), "srv/hosts": "127.0.0.1 localhost\n"})
    from_dir = analyze(Config(str(to_dir(spec, tmp_path / "rootfs"))))
    from_tar = analyze(Config(str(to_tar(spec, tmp_path / "rootfs.tar"))))
    assert comparable(from_dir) == comparable(from_tar)
