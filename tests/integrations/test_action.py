"""The GitHub Action (``action.yml``) and the example workflows (``examples/github``).

Each file is validated against the SchemaStore schema for its kind, as vendored by the
``check-jsonschema`` package (read offline). The action's own shell steps are then run here
the way the runner runs them: ``${{ inputs.* }}`` and ``${{ steps.scan.outputs.* }}`` filled
in, ``GITHUB_OUTPUT`` a file; the install and upload steps are the runner's and are checked
for what they are given.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from builders import File, Item, make_tree, to_tar

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "github").glob("*.yml"))
SCHEMAS = "check_jsonschema.builtin_schemas.vendor"
INPUTS = {"target", "profile", "role", "fail-on", "category", "sarif-file"}
UPLOAD = "github/codeql-action/upload-sarif@v3"
KEY = "etc/ssh/ssh_host_ed25519_key"
CLEAN: dict[str, Item] = {"etc/hosts": "127.0.0.1 localhost\n", "etc/machine-id": ""}
BAD: dict[str, Item] = {**CLEAN, KEY: File(b"-----BEGIN OPENSSH", mode=0o600)}
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as GitHub reads it: ``on``, ``yes`` and ``no`` are strings, not booleans."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=_Yaml12Loader)
    return document


def schema(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resources.files(SCHEMAS).joinpath(name).read_text())
    return document


def schema_errors(document: dict[str, Any], name: str) -> list[str]:
    validator = jsonschema.Draft7Validator(schema(name))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def step(action: dict[str, Any], step_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in action["runs"]["steps"] if s.get("id") == step_id]
    assert len(found) == 1, f"{len(found)} steps with id {step_id!r}"
    return found[0]


def test_action_and_workflows_match_the_schemastore_schemas() -> None:
    assert schema_errors(load(ACTION), "github-actions.json") == []
    assert [path.name for path in WORKFLOWS] == ["container-image.yml", "packer-image.yml"]
    for path in WORKFLOWS:
        assert schema_errors(load(path), "github-workflows.json") == [], path.name


def test_the_schema_check_catches_a_broken_action() -> None:
    broken = load(ACTION)
    del broken["runs"]["steps"][0]["shell"]
    broken["inputs"]["target"]["required"] = "yes"
    assert len(schema_errors(broken, "github-actions.json")) >= 2


def test_action_inputs_and_the_upload_before_the_gate() -> None:
    action = load(ACTION)
    assert set(action["inputs"]) >= INPUTS
    assert action["inputs"]["target"]["required"] is True
    install = step(action, "install")
    assert install["env"] == {"IMGAUDIT_SOURCE": "${{ github.action_path }}"}
    assert 'pip install --quiet "$IMGAUDIT_SOURCE"' in install["run"]
    steps = action["runs"]["steps"]
    [upload] = [s for s in steps if s.get("uses") == UPLOAD]
    assert upload["with"] == {
        "sarif_file": "${{ steps.scan.outputs.sarif-file }}",
        "category": "${{ inputs.category }}",
    }
    gate = step(action, "gate")
    assert steps.index(step(action, "scan")) < steps.index(upload) < steps.index(gate)
    assert gate["if"] == "steps.scan.outputs.exit-code != '0'"


def test_workflows_give_the_action_only_its_inputs() -> None:
    known = set(load(ACTION)["inputs"])
    for path in WORKFLOWS:
        workflow = load(path)
        assert workflow["permissions"]["security-events"] == "write", path.name
        used = [
            s
            for job in workflow["jobs"].values()
            for s in job["steps"]
            if s.get("uses", "").startswith("imgaudit/imgaudit@")
        ]
        assert used, f"{path.name} does not use the action"
        for scan in used:
            assert "target" in scan["with"], path.name
            assert set(scan["with"]) <= known, (path.name, set(scan["with"]) - known)


def run_step(
    action: dict[str, Any],
    step_id: str,
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    cwd: Path,
) -> tuple[int, str, dict[str, str]]:
    """Run one ``run:`` step of the action as the runner would; exit code, log, new outputs."""
    values = {f"inputs.{k}": v for k, v in inputs.items()}
    values.update({f"steps.scan.outputs.{k}": v for k, v in outputs.items()})
    found = step(action, step_id)
    env = {
        name: _EXPRESSION.sub(lambda m: values[m[1]], str(value))
        for name, value in found["env"].items()
    }
    output_file = cwd / f"{step_id}.out"
    output_file.write_text("")
    script = cwd / f"{step_id}.sh"
    script.write_text(found["run"])
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],  # shell: bash
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
        env={
            **os.environ, **env, "GITHUB_OUTPUT": str(output_file),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
    )  # fmt: skip
    written = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
    return done.returncode, done.stdout + done.stderr, written


def inputs_for(target: str, **given: str) -> dict[str, str]:
    defaults = {name: str(spec.get("default", "")) for name, spec in load(ACTION)["inputs"].items()}
    return {**defaults, "target": target, **given}


def test_findings_are_recorded_the_sarif_written_and_the_gate_fails(tmp_path: Path) -> None:
    action = load(ACTION)
    image = to_tar(make_tree(BAD), tmp_path / "golden.tar")
    inputs = inputs_for(str(image), profile="k0s, golden-image", category="golden")
    code, log, outputs = run_step(action, "scan", inputs, {}, tmp_path)
    assert code == 0, log
    assert outputs == {"exit-code": "1", "sarif-file": "imgaudit.sarif"}
    assert f"  SSH host private key in the image: /{KEY} " in log
    [run] = json.loads((tmp_path / "imgaudit.sarif").read_text())["runs"]
    assert run["automationDetails"]["id"] == "golden/"
    assert "golden-image.ssh.host-key" in [r["ruleId"] for r in run["results"]]
    code, log, _ = run_step(action, "gate", inputs, outputs, tmp_path)
    assert code == 1
    assert f"::error title=imgaudit::{image} has findings at or above error" in log


def test_a_clean_image_passes_with_the_image_name_as_category(tmp_path: Path) -> None:
    image = to_tar(make_tree(CLEAN), tmp_path / "golden.tar")
    inputs = inputs_for(str(image), profile="golden-image", **{"sarif-file": "out/x.sarif"})
    (tmp_path / "out").mkdir()
    code, log, outputs = run_step(load(ACTION), "scan", inputs, {}, tmp_path)
    assert (code, outputs) == (0, {"exit-code": "0", "sarif-file": "out/x.sarif"}), log
    [run] = json.loads((tmp_path / "out" / "x.sarif").read_text())["runs"]
    assert run["automationDetails"]["id"] == "imgaudit/rootfs/golden.tar/"
    assert run["results"] == []


def test_an_unreadable_target_fails_the_scan_step_itself(tmp_path: Path) -> None:
    code, log, outputs = run_step(
        load(ACTION), "scan", inputs_for(str(tmp_path / "missing.qcow2")), {}, tmp_path
    )
    assert code == 2
    assert f"imgaudit: {tmp_path / 'missing.qcow2'}: no such file or directory" in log
    assert outputs["exit-code"] == "2"
