"""The installed wheel, run from outside the checkout, answers as the checkout does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from builders import File, Item, make_tree, to_dir, to_tar
from jsonreports import load_report
from readme import PROFILE_ARGS, block, checkout_report, run_line
from wheelbuild import ROOT, Installed, wheelhouse

from analyzer.pipeline import load_all_rules
from analyzer.report.schemas import REPORT_SCHEMA


def test_wheel_carries_the_packs_and_builds_without_warnings(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    packs = sorted(n for n in names if n.startswith("analyzer/packs/"))
    assert packs == sorted(f"analyzer/packs/{p.name}" for p in (ROOT / "rules").glob("*.yaml"))
    schemas = sorted(n for n in names if n.startswith("analyzer/schema/"))
    assert schemas == sorted(f"analyzer/schema/{p.name}" for p in (ROOT / "schema").glob("*.json"))
    assert "Deprecat" not in installed.build_log


def test_installed_schema_is_the_committed_one_and_validates_a_scan(
    installed: Installed, tmp_path: Path
) -> None:
    root = to_dir(make_tree(ROOTFS), tmp_path / "root")
    done = installed.run("scan", str(root), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    code = (
        "import json\n"
        "from analyzer.report.schemas import REPORT_SCHEMA, shipped_schema\n"
        "print(json.dumps(shipped_schema(REPORT_SCHEMA)))\n"
    )
    shipped = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", code],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )  # fmt: skip
    schema = json.loads(shipped.stdout)
    assert schema == json.loads((ROOT / "schema" / REPORT_SCHEMA.file_name).read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(done.stdout))


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
    done = installed.run("scan", str(demo), *PROFILE_ARGS, "--format", "json", cwd=demo.parent)
    assert done.returncode == 1, done.stderr
    assert done.stdout.decode() == checkout_report(str(demo))
    assert load_report(done.stdout)["facts"]["kernels"]["state"] == "present"
    text = installed.run("scan", str(demo), *PROFILE_ARGS, cwd=demo.parent)
    assert text.stdout.decode() == checkout_report(str(demo), "text")
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
    command = [str(installed.venv / "bin" / "imgaudit"), "scan", target, *PROFILE_ARGS]
    done = subprocess.run(
        [*command, "--format", "json"], input=stdin, capture_output=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 1, done.stderr
    if kind != "stdin":
        assert done.stdout.decode() == checkout_report(target)
        return
    got, expected = load_report(done.stdout), load_report(checkout_report(str(archive)))
    assert got["target"]["reference"] == "<stdin>"
    assert got["evaluations"] == expected["evaluations"]
    assert got["summary"] == expected["summary"]


def test_readme_wheel_install_runs_as_written(
    installed: Installed, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, home = tmp_path / "work", tmp_path / "home"
    (work / "dist").mkdir(parents=True)
    home.mkdir()
    shutil.copy2(installed.wheel, work / "dist" / installed.wheel.name)
    shutil.copy2(demo, work / "golden.qcow2")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HOME=str(home), PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse()))
    lines = block("make wheel")
    done = [run_line(line, work, env) for line in lines]
    assert [d.returncode for d in done] == [0, 0, 0, 0, 1], [d.stderr for d in done]
    assert lines[-2].endswith("imgaudit rules list")
    assert [row.split()[0] for row in done[-2].stdout.splitlines()] == [
        rule.id for rule in load_all_rules()
    ]
    monkeypatch.chdir(work)
    assert done[-1].stdout == checkout_report("golden.qcow2", "text")
