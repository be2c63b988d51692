"""The installed wheel, run from outside the checkout, answers as the checkout does."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from builders import File, Item, make_tree, to_dir, to_tar
from wheelbuild import ROOT, Installed

from analyzer.pipeline import Config, analyze, load_all_rules
from analyzer.report import FORMATS, ReportOptions

#: The demo's scan, as the README shows it.
PROFILES = ("--profile", "k0s", "--profile", "golden-image")


def in_tree_json(target: str, fmt: str = "json") -> str:
    """The checkout's report (JSON unless ``fmt``) for ``target`` with the README's profiles."""
    result = analyze(Config(target, profiles=("k0s", "golden-image")))
    return FORMATS[fmt](result, ReportOptions())


def test_wheel_carries_the_packs_and_builds_without_warnings(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    packs = sorted(n for n in names if n.startswith("analyzer/packs/"))
    assert packs == sorted(f"analyzer/packs/{p.name}" for p in (ROOT / "rules").glob("*.yaml"))
    assert "Deprecat" not in installed.build_log


def test_rules_list_and_version_outside_the_checkout(installed: Installed, tmp_path: Path) -> None:
    done = installed.run("rules", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.decode().splitlines()]
    assert listed == [rule.id for rule in load_all_rules()]
    version = installed.run("--version", cwd=tmp_path)
    assert version.stdout.decode() == f"imgaudit {installed.wheel.name.split('-')[1]}\n"


def test_installed_code_is_the_installed_copy(installed: Installed, tmp_path: Path) -> None:
    code = "import analyzer.policy.packs as p; print(p.__file__); print(p.packs_dir())"
    done = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", code],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )  # fmt: skip
    module, packs = done.stdout.splitlines()
    site = installed.venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert module == str(site / "site-packages" / "analyzer" / "policy" / "packs.py")
    assert packs == str(site / "site-packages" / "analyzer" / "packs")


def test_qcow2_scan_matches_the_checkout(installed: Installed, demo: Path) -> None:
    done = installed.run("scan", str(demo), *PROFILES, "--format", "json", cwd=demo.parent)
    assert done.returncode == 1, done.stderr
    assert done.stdout.decode() == in_tree_json(str(demo))
    text = installed.run("scan", str(demo), *PROFILES, cwd=demo.parent)
    assert text.stdout.decode() == in_tree_json(str(demo), "text")
    assert "/etc/machine-id holds the machine ID" in text.stdout.decode()


ROOTFS: dict[str, Item] = {
    "etc/hosts": "127.0.0.1 localhost\n",
    "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
    "bin/mount": File(b"#!/bin/sh\n", mode=0o755),
}


@pytest.mark.parametrize("kind", ["dir", "tar.gz", "stdin"])
def test_rootfs_scans_match_the_checkout(installed: Installed, tmp_path: Path, kind: str) -> None:
    tree = make_tree(ROOTFS)
    if kind == "dir":
        target, stdin = f"dir:{to_dir(tree, tmp_path / 'root')}", None
    else:
        archive = to_tar(tree, tmp_path / "root.tar.gz", "gzip")
        target, stdin = (str(archive), None) if kind == "tar.gz" else ("-", archive.read_bytes())
    done = subprocess.run(
        [str(installed.venv / "bin" / "imgaudit"), "scan", target, *PROFILES, "--format", "json"],
        input=stdin, capture_output=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    if kind != "stdin":
        assert done.stdout.decode() == in_tree_json(target)
        return
    got, expected = json.loads(done.stdout), json.loads(in_tree_json(str(archive)))
    assert got["target"]["reference"] == "<stdin>"
    assert got["evaluations"] == expected["evaluations"]
    assert got["summary"] == expected["summary"]
