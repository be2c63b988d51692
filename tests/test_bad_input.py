"""Bad input: truncated and corrupt archives, non-archives, hostile names, links aimed at the host,
loops and devices. Each case asserts exactly what happens: a one-line exit 2, or a partial report
that says it is partial. Inputs are built at test time.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import libarchive
import pytest
from builders import Device, File, Hardlink, Symlink, make_tree, to_dir, to_tar, write_entry
from clirun import one_line_error, run_cli, scan_json

from analyzer.analyzers.text import TextCapture
from analyzer.sources import open_source
from analyzer.stream.capture import CapturePattern
from analyzer.stream.entry import Entry, Kind
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree

RULE = "k0s.name-resolution.localhost"
GOOD_HOSTS = "127.0.0.1 localhost\n::1 localhost\n"
PREFIX = "localhost does not resolve without NSS: "
PARTIAL = "; the report covers only what was read before"


def localhost(report: dict[str, Any]) -> dict[str, Any]:
    evaluations: list[dict[str, Any]] = report["evaluations"]
    [evaluation] = [e for e in evaluations if e["rule_id"] == RULE]
    return evaluation


def notes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Notifications about reading the input (collectors may add their own)."""
    return [
        n for n in report["notifications"] if n["code"].startswith(("source.", "entry.", "limit"))
    ]


def big_tree() -> dict[str, Any]:
    rng = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta", "kernel", "module", "config", "k0s"]
    docs = {
        f"usr/share/doc/f{i:02}": " ".join(rng.choice(words) for _ in range(12000))
        for i in range(20)
    }
    return make_tree({"etc/hosts": GOOD_HOSTS, **docs, "usr/share/zz": "last\n"})


def header_offset(data: bytes, name: str) -> int:
    offset = data.find(name.encode())
    assert data[offset + 257 : offset + 262] == b"ustar", "expected a ustar header"
    return offset


def tree_of(target: str) -> Tree:
    source = open_source(target)
    try:
        return TreeBuilder([TextCapture([CapturePattern("/**")])]).build(source.layers())
    finally:
        source.close()


# --- truncated archives ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cut", "problem"),
    [
        pytest.param(
            "data", r"Truncated input file \(needed \d+ bytes, only \d+ available\)", id="in-data"
        ),
        pytest.param("header", r"Truncated tar archive", id="in-header"),
    ],
)
def test_truncated_plain_tar_gives_a_partial_report(tmp_path: Path, cut: str, problem: str) -> None:
    data = to_tar(big_tree(), tmp_path / "full").read_bytes()
    offset = header_offset(data, "usr/share/doc/f05")
    cut_at = offset + 512 + 1000 if cut == "data" else offset + 100
    path = tmp_path / "cut"
    path.write_bytes(data[:cut_at])
    code, report = scan_json(str(path), "--fail-on", "none")
    assert code == 0
    assert report["complete"] is False
    [note] = notes(report)
    assert note["level"] == "error"
    assert note["code"] == "source.partial"
    assert re.fullmatch(
        f"rootfs: {re.escape(str(path))}: corrupt archive: {problem}{PARTIAL}", note["message"]
    )
    evaluation = localhost(report)
    assert evaluation["outcome"] == "pass"
    assert evaluation["location"]["path"] == "/etc/hosts"
    assert evaluation["location"]["line"] == 1


def test_truncated_tar_gz_gives_a_partial_report(tmp_path: Path) -> None:
    data = to_tar(big_tree(), tmp_path / "full", "gzip").read_bytes()
    path = tmp_path / "cut"
    path.write_bytes(data[: len(data) // 2])
    code, report = scan_json(str(path), "--fail-on", "none")
    assert code == 0
    assert report["complete"] is False
    [note] = notes(report)
    assert (note["level"], note["code"]) == ("error", "source.partial")
    assert re.fullmatch(
        f"rootfs: {re.escape(str(path))}: corrupt archive: Truncated input file"
        rf" \(needed \d+ bytes, only \d+ available\){PARTIAL}",
        note["message"],
    )
    assert localhost(report)["outcome"] == "pass"


def test_truncated_tar_gz_with_strict_exits_3(tmp_path: Path) -> None:
    data = to_tar(big_tree(), tmp_path / "full", "gzip").read_bytes()
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(data[: len(data) // 2])
    done = run_cli("scan", str(path), "--strict", "--fail-on", "none")
    assert done.returncode == 3
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("compression", "keep"),
    [(None, 100), (None, 511), ("gzip", 6), ("gzip", 40), ("zstd", 10), ("xz", 30)],
)
def test_archive_cut_before_its_first_entry_exits_2(
    tmp_path: Path, compression: str | None, keep: int
) -> None:
    data = to_tar(big_tree(), tmp_path / "full", compression).read_bytes()
    path = tmp_path / "stub"
    path.write_bytes(data[:keep])
    message = one_line_error(run_cli("scan", str(path)))
    assert message.startswith(f"imgaudit: {path}: ")
    # a tar cut inside its first header is not recognisable as anything at all
    assert re.fullmatch(
        rf"imgaudit: {re.escape(str(path))}: ((not a readable archive|corrupt archive): .+"
        "|no image, archive or file system recognised)",
        message,
    )


# --- corrupt compressed data -------------------------------------------------------------------

CORRUPTION = {
    "gzip": ("partial", "Damaged tar archive"),
    "xz": ("partial", r"Truncated input file \(needed \d+ bytes, only \d+ available\)"),
    "zstd": ("partial", r"Truncated input file \(needed \d+ bytes, only \d+ available\)"),
    "bzip2": ("exit", "not a readable archive: .+"),
    "lz4": ("partial", "Damaged tar archive"),
}


@pytest.mark.parametrize("compression", sorted(CORRUPTION))
def test_corrupt_compressed_stream(tmp_path: Path, compression: str) -> None:
    data = bytearray(to_tar(big_tree(), tmp_path / "full", compression).read_bytes())
    middle = len(data) // 2
    for index in range(middle, middle + 32):
        data[index] ^= 0x5A
    path = tmp_path / "corrupt"
    path.write_bytes(bytes(data))
    behaviour, problem = CORRUPTION[compression]
    if behaviour == "exit":
        message = one_line_error(run_cli("scan", str(path)))
        assert re.fullmatch(f"imgaudit: {re.escape(str(path))}: {problem}", message), message
        return
    code, report = scan_json(str(path), "--fail-on", "none")
    assert code == 0
    assert report["complete"] is False
    [note] = notes(report)
    assert note["code"] == "source.partial"
    assert re.fullmatch(
        f"rootfs: {re.escape(str(path))}: corrupt archive: {problem}{PARTIAL}", note["message"]
    )


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"this is not an archive\n" * 100, id="text"),
        pytest.param(b"", id="empty"),
        pytest.param(bytes(range(256)) * 64, id="binary"),
    ],
)
def test_non_archive_file_is_one_line_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    message = one_line_error(run_cli("scan", str(path), "--format", "sarif"))
    assert message == f"imgaudit: {path}: no image, archive or file system recognised"


def test_missing_input_is_one_line_exit_2(tmp_path: Path) -> None:
    message = one_line_error(run_cli("scan", str(tmp_path / "absent")))
    assert message == f"imgaudit: {tmp_path / 'absent'}: no such file or directory"


# --- hostile names and links aimed at the host --------------------------------------------------


def test_hostile_names_land_inside_the_image(tmp_path: Path) -> None:
    path = tmp_path / "hostile"
    with libarchive.file_writer(str(path), "pax") as out:
        for raw, data in [
            (b"../../x", b"dotdot"),
            (b"/abs/x", b"absolute"),
            (b"./../../../etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
            (b"../../../../etc/hosts", GOOD_HOSTS.encode()),
        ]:
            write_entry(out._pointer, Entry("x", Kind.FILE, size=len(data)), data, name=raw)
    before = sorted(os.listdir(tmp_path))
    tree = tree_of(str(path))
    assert tree.read("/x") == b"dotdot"
    assert tree.read("/abs/x") == b"absolute"
    assert tree.read("/etc/passwd").startswith(b"root:")
    assert tree.listdir("/") == ["abs", "etc", "x"]
    assert sorted(os.listdir(tmp_path)) == before
    code, report = scan_json(str(path), cwd=tmp_path)
    assert code in (0, 1)
    assert localhost(report)["outcome"] == "pass"
    assert localhost(report)["location"]["path"] == "/etc/hosts"
    assert sorted(os.listdir(tmp_path)) == before


def _canary(tmp_path: Path) -> Path:
    canary = tmp_path / "host-canary"
    canary.mkdir()
    (canary / "hosts").write_text(GOOD_HOSTS)
    return canary


@pytest.mark.parametrize("kind", ["tar", "dir"])
@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_link_to_a_host_path_means_the_image_path(tmp_path: Path, kind: str, how: str) -> None:
    canary = _canary(tmp_path)
    target = (
        str(canary / "hosts") if how == "absolute" else "../../../../../.." + str(canary / "hosts")
    )
    tree = make_tree({"etc/hosts": Symlink(target), "etc/hostname": "node\n"})
    path = to_tar(tree, tmp_path / "image") if kind == "tar" else to_dir(tree, tmp_path / "image")
    code, report = scan_json(str(path))
    evaluation = localhost(report)
    assert code == 1
    assert evaluation["outcome"] == "fail"
    assert evaluation["location"]["path"] == "/etc/hosts"
    assert evaluation["message"].startswith(PREFIX + "/etc/hosts ")
    assert "127.0.0.1" not in evaluation["message"]
    assert not any("127.0.0.1" in line for line in evaluation["evidence"])


def test_link_to_a_host_path_leads_to_the_image_copy_when_there_is_one(tmp_path: Path) -> None:
    canary = _canary(tmp_path)
    in_image = str(canary / "hosts")
    tree = make_tree({"etc/hosts": Symlink(in_image), in_image.lstrip("/"): "::1 ip6-localhost\n"})
    image = to_tar(tree, tmp_path / "image", "gzip")
    assert tree_of(str(image)).read("/etc/hosts") == b"::1 ip6-localhost\n"
    code, report = scan_json(str(image))
    evaluation = localhost(report)
    # the image's copy lies outside the captured /etc: unknown, never the host's passing file
    assert code in (0, 1)
    assert evaluation["outcome"] == "unknown"
    assert evaluation["message"] == (
        "/etc/hosts: content not captured (over the capture cap, or a link out of /etc)"
    )
    assert evaluation["location"]["path"] == in_image
    assert evaluation["location"]["access_path"] == "/etc/hosts"


def test_hard_link_to_a_host_path_is_skipped(tmp_path: Path) -> None:
    canary = _canary(tmp_path)
    tree = make_tree({"etc/hosts": Hardlink(str(canary / "hosts"))})
    code, report = scan_json(str(to_tar(tree, tmp_path / "image")))
    assert code == 1
    assert localhost(report)["outcome"] == "fail"
    [note] = notes(report)
    assert note["code"] == "entry.hardlink"
    assert note["message"] == (
        f"hard link /etc/hosts -> {canary / 'hosts'}: target is not an earlier regular file"
    )


@pytest.mark.parametrize(
    "links",
    [
        pytest.param({"etc/hosts": Symlink("hosts")}, id="self"),
        pytest.param({"etc/hosts": Symlink("/etc/h2"), "etc/h2": Symlink("hosts")}, id="two"),
        pytest.param({"etc": Symlink("etc")}, id="directory"),
    ],
)
def test_symlink_loop_at_etc_hosts_is_a_finding_not_a_hang(
    tmp_path: Path, links: dict[str, Any]
) -> None:
    code, report = scan_json(str(to_tar(make_tree(links), tmp_path / "loop")))
    evaluation = localhost(report)
    assert code == 1
    assert evaluation["outcome"] == "fail"
    assert evaluation["location"]["path"] == "/etc/hosts"
    assert evaluation["message"] == PREFIX + "/etc/hosts is a symbolic link loop"


def test_device_node_at_etc_hosts(tmp_path: Path) -> None:
    tree = make_tree({"etc/hosts": Device("c", 1, 3), "dev/null": Device("c", 1, 3)})
    code, report = scan_json(str(to_tar(tree, tmp_path / "dev")))
    evaluation = localhost(report)
    assert code == 1
    assert evaluation["message"] == PREFIX + "/etc/hosts is not a regular file"
    assert notes(report) == []


def test_dangling_etc_hosts(tmp_path: Path) -> None:
    tree = make_tree({"etc/hosts": Symlink("/run/hosts"), "etc/ok": File("x")})
    code, report = scan_json(str(to_tar(tree, tmp_path / "dangling")))
    assert code == 1
    assert localhost(report)["message"] == (PREFIX + "/etc/hosts is a dangling symbolic link")
