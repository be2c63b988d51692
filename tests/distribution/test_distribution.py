"""What the distribution declares: its version, its packs, its dependencies, the ffi it uses."""

from __future__ import annotations

import ast
import functools
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import libarchive.ffi
from builders import make_tree, to_dir
from clirun import ROOT, one_line_error, run_cli
from packaging.requirements import Requirement

from analyzer.policy.packs import DISTRIBUTION, RULES_DIR_ENV, packs_dir
from analyzer.version import TOOL_VERSION

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PACKAGE = ROOT / "analyzer"


@functools.cache
def _trees() -> list[ast.Module]:
    return [ast.parse(path.read_text(), str(path)) for path in sorted(PACKAGE.rglob("*.py"))]


def test_the_version_is_written_once_and_the_project_reads_it(tmp_path: Path) -> None:
    assert "version" not in PROJECT
    assert "version" in PROJECT["dynamic"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "analyzer.version.TOOL_VERSION"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", TOOL_VERSION)
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.decode() == f"imgaudit {TOOL_VERSION}\n"
    root = to_dir(make_tree({"etc/hosts": "127.0.0.1 localhost\n"}), tmp_path / "root")
    sarif = json.loads(run_cli("scan", f"dir:{root}", "--format", "sarif").stdout)
    assert sarif["runs"][0]["tool"]["driver"]["semanticVersion"] == TOOL_VERSION


def test_packs_are_found_as_package_data() -> None:
    assert packs_dir() == PACKAGE / "packs"
    shipped = sorted(path.name for path in packs_dir().glob("*.yaml"))
    assert shipped == sorted(path.name for path in (ROOT / "rules").glob("*.yaml"))
    assert "k0s.yaml" in shipped


def test_no_packs_found_is_a_one_line_error(tmp_path: Path) -> None:
    done = run_cli("rules", "list", env={RULES_DIR_ENV: str(tmp_path)})
    assert one_line_error(done) == (
        f"imgaudit: {tmp_path} (set by {RULES_DIR_ENV}): no rule packs (*.yaml) found; "
        "the installation is incomplete"
    )
    scan = run_cli("scan", str(tmp_path), env={RULES_DIR_ENV: str(tmp_path)})
    assert "no rule packs (*.yaml) found" in one_line_error(scan)


def test_every_imported_distribution_is_declared() -> None:
    imported: set[str] = set()
    for tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = sorted(imported - set(sys.stdlib_module_names) - {"analyzer"})
    providers = metadata.packages_distributions()
    needed = {module: providers[module][0].lower() for module in third_party}
    declared = {Requirement(spec).name.lower() for spec in PROJECT["dependencies"]}
    assert {m: d for m, d in needed.items() if d not in declared} == {}
    assert "requests" in needed


def test_libarchive_is_bounded_below_the_next_major() -> None:
    (spec,) = [Requirement(s) for s in PROJECT["dependencies"] if s.startswith("libarchive-c")]
    assert not spec.specifier.contains("6.0")
    assert spec.specifier.contains(metadata.version("libarchive-c"))


def test_every_libarchive_ffi_symbol_the_code_uses_exists() -> None:
    used: set[str] = set()
    for tree in _trees():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "ffi"
            ):
                used.add(node.attr)
    assert {"read_new", "entry_pathname_w", "READ_CALLBACK", "ARCHIVE_EOF"} <= used
    assert sorted(name for name in used if not hasattr(libarchive.ffi, name)) == []


def test_distribution_metadata_matches_the_project() -> None:
    meta = metadata.metadata(DISTRIBUTION)
    assert meta["Version"] == TOOL_VERSION
    assert meta["License-Expression"] == "Apache-2.0"
