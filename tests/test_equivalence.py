"""One tree, every input kind: the same facts, evaluations and notifications.

Each scenario is written as a directory, as a tar archive (plain and zstd) and as an ext4 root
on a GPT disk in every image format the disk source reads (raw, qcow2, compressed qcow2, vmdk,
vhd, vhdx). The JSON report of each must equal the directory's, except for what names the
source: the target's identity, layer (partition) ids, and the facts that describe the source
itself (:data:`SOURCE_FACTS`).

Directories and disks are read at random: a collector may read a file the pass did not keep,
such as ``/etc/hosts`` linked to ``/srv/hosts``, so they agree on every scenario. A tar archive
is read in one streaming pass that keeps only the paths the collectors declared; what it could
not keep is *unknown*, never a different pass or fail
(:func:`test_a_stream_says_unknown_where_a_link_leaves_the_captured_paths`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from builders import File, Hardlink, Item, Symlink, make_tree, to_dir, to_tar
from disk_builders import DISK_FORMATS, convert, to_disk
from jsonreports import load_report

from analyzer.facts import NAME_RESOLUTION
from analyzer.model import FactState, Outcome, RunResult
from analyzer.pipeline import Config, analyze
from analyzer.report import FORMATS, ReportOptions
from analyzer.report.common import jsonable

#: A real executable of this machine, so the ELF analyzer sees a well-formed file.
ELF = Path("/usr/bin/true").read_bytes()
#: Every root has these, so a disk's root file system is found without a guess.
ROOT: dict[str, Item] = {
    "etc/fstab": "# <file system> <mount point> <type> <options> <dump> <pass>\n",
    "usr/lib/os-release": 'ID=debian\nVERSION_ID="12"\n',
}
#: Facts that describe the source rather than the tree (a disk is a VM, a directory a rootfs).
SOURCE_FACTS = ("disk", "target")
#: The scenario whose files are reached only through links leaving the captured paths.
LINKS_OUT = "links-out-of-the-captured-paths"

SCENARIOS: dict[str, dict[str, Item]] = {
    "merged-usr-debian": {
        **ROOT,
        "bin": Symlink("usr/bin"),
        "sbin": Symlink("usr/sbin"),
        "lib": Symlink("usr/lib"),
        "etc/hosts": "# static\n127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n",
        "etc/nsswitch.conf": "hosts: files dns\n",
        "etc/os-release": Symlink("../usr/lib/os-release"),
        "usr/bin/mount": File(ELF, mode=0o4755),
        "usr/bin/umount": File(ELF, mode=0o4755),
        "usr/bin/id": File(ELF, mode=0o755),
        "usr/sbin/iptables": Symlink("/etc/alternatives/iptables"),
        "etc/alternatives/iptables": Symlink("/usr/sbin/xtables-nft-multi"),
        "usr/sbin/xtables-nft-multi": File(ELF, mode=0o755),
        "usr/sbin/modprobe": Hardlink("usr/bin/id"),
    },
    "minbase-without-hosts": {
        **ROOT,
        "etc/nsswitch.conf": "hosts: files myhostname dns\n",
        "etc/resolv.conf": Symlink("../run/systemd/resolve/stub-resolv.conf"),
        "usr/bin/mount": File(ELF, mode=0o755),
        "bin": Symlink("usr/bin"),
    },
    "hosts-through-links-in-etc": {
        **ROOT,
        "etc/hosts": Symlink("/etc/static/hosts"),
        "etc/static": Symlink("../srv/../etc/real"),
        "etc/real/hosts": "127.0.0.1 localhost\n",
        "etc/loop": Symlink("loop"),
    },
    LINKS_OUT: {
        **ROOT,
        "etc/hosts": Symlink("/srv/hosts"),
        "srv/hosts": "# kept outside /etc\n127.0.0.1 localhost\n",
        "etc/nsswitch.conf": Symlink("../srv/nsswitch.conf"),
        "srv/nsswitch.conf": "hosts: files dns\n",
        "usr/bin/mount": File(ELF, mode=0o755),
        "usr/bin/umount": File(ELF, mode=0o755),
        "bin": Symlink("usr/bin"),
    },
}
TARS = ("tar", "tar.zst")
DISKS = tuple(f"disk.{fmt}" for fmt in DISK_FORMATS)
KINDS = ("dir", *TARS, *DISKS)


class Scans:
    """Each scenario written as each kind and analysed once, when a test first asks."""

    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self._results: dict[tuple[str, str], RunResult] = {}

    def result(self, scenario: str, kind: str) -> RunResult:
        """The analysis of ``scenario`` written as ``kind``."""
        key = (scenario, kind)
        if key not in self._results:
            self._results[key] = analyze(Config(str(self._write(scenario, kind))))
        return self._results[key]

    def _write(self, scenario: str, kind: str) -> Path:
        tree = make_tree(SCENARIOS[scenario])
        path = self._tmp / f"{scenario}.{kind}"
        if kind == "dir":
            return to_dir(tree, path)
        if kind in TARS:
            return to_tar(tree, path, "zstd" if kind == "tar.zst" else None)
        raw = self._tmp / f"{scenario}.disk.raw"
        if not raw.exists():
            to_disk(SCENARIOS[scenario], raw)
        fmt = kind.removeprefix("disk.")
        return convert(raw, path, *DISK_FORMATS[fmt]) if DISK_FORMATS[fmt] else raw


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Scans:
    """The scans of this module, shared so that each input is built and read once."""
    return Scans(tmp_path_factory.mktemp("equivalence"))


def comparable(result: RunResult) -> dict[str, Any]:
    """The JSON report less what names the source (see the module docstring)."""
    report = load_report(FORMATS["json"](result, ReportOptions()))
    del report["target"]
    # every internal fact too, beyond the report's summary of them
    collected = {k: v for k, v in result.facts.items() if k not in SOURCE_FACTS}
    report["collected"] = jsonable(collected)
    stripped: dict[str, Any] = _without_layers(report)
    return stripped


def _without_layers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_layers(v) for k, v in value.items() if k != "layer"}
    if isinstance(value, list):
        return [_without_layers(v) for v in value]
    return value


CASES = [
    (scenario, kind)
    for scenario in sorted(SCENARIOS)
    for kind in KINDS[1:]
    if not (scenario == LINKS_OUT and kind in TARS)
]


@pytest.mark.parametrize(("scenario", "kind"), CASES)
def test_every_kind_gives_what_the_directory_gives(scans: Scans, scenario: str, kind: str) -> None:
    expected = scans.result(scenario, "dir")
    result = scans.result(scenario, kind)
    assert comparable(result) == comparable(expected)
    assert result.complete and expected.complete
    assert expected.evaluations, "the default profile must evaluate something"


def test_the_comparison_can_fail(scans: Scans) -> None:
    """Two different trees do not compare equal, and the difference is the expected one."""
    debian = scans.result("merged-usr-debian", "disk.qcow2")
    minbase = scans.result("minbase-without-hosts", "disk.qcow2")
    assert comparable(debian) != comparable(minbase)
    outcomes = {
        e.outcome for e in minbase.evaluations if e.rule_id == "k0s.name-resolution.localhost"
    }
    assert outcomes == {Outcome.FAIL}


@pytest.mark.parametrize("kind", ["dir", *DISKS])
def test_random_access_reads_files_behind_links_out_of_the_captured_paths(
    scans: Scans, kind: str
) -> None:
    """The source stays open while collectors run: /etc/hosts is read at /srv/hosts."""
    result = scans.result(LINKS_OUT, kind)
    [localhost] = [e for e in result.evaluations if e.rule_id == "k0s.name-resolution.localhost"]
    assert localhost.outcome is Outcome.PASS
    assert localhost.message == "localhost: [127.0.0.1] from /etc/hosts"
    assert (localhost.location.path, localhost.location.line) == ("/srv/hosts", 2)
    assert localhost.location.access_path == "/etc/hosts"
    assert not [n for n in result.notifications if n.code == "collector.crashed"]


@pytest.mark.parametrize("kind", TARS)
def test_a_stream_says_unknown_where_a_link_leaves_the_captured_paths(
    scans: Scans, kind: str
) -> None:
    """One streaming pass cannot go back for /srv/hosts: unknown, never another verdict."""
    expected = {(e.rule_id, e.discriminator): e for e in scans.result(LINKS_OUT, "dir").evaluations}
    result = scans.result(LINKS_OUT, kind)
    differing = [e for e in result.evaluations if expected[(e.rule_id, e.discriminator)] != e]
    assert {e.rule_id for e in differing} == {"k0s.name-resolution.localhost"}
    [localhost] = differing
    assert (localhost.outcome, localhost.location.path) == (Outcome.UNKNOWN, "/srv/hosts")
    assert localhost.message == (
        "/etc/hosts: content not captured (over the capture cap, or a link out of /etc)"
    )
    assert result.facts.get(NAME_RESOLUTION).state is FactState.UNKNOWN
