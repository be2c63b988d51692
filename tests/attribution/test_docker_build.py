"""A real ``docker build`` with a bad middle layer, scanned with ``--dockerfile``.

The image is built once for the module by the session's private daemon (classic builder, no
network) from a multi-stage Dockerfile with build arguments: a stage writes an SSH host key
that the final stage copies with ``COPY --from`` into a directory named by a build argument,
a ``RUN`` bakes another host key, and a later ``RUN`` deletes a library that a program
needs. Each finding must sit on the Dockerfile line that caused it, with the in-image path
as its related location, and name the causing layer with or without ``--dockerfile``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import docker
import pytest
from elfcorpus import Corpus
from report.validate import validate_sarif

from analyzer.model import Evaluation, RunResult
from analyzer.pipeline import Config, analyze

from .buildimages import base_tree, build, import_base

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "attribution-app:1"
BASE = "attribution-base:1"
DOCKERFILE = """\
# escape=\\
ARG BASE=attribution-base:0
FROM ${BASE} AS keys
RUN mkdir -p /out && echo key > /out/ssh_host_rsa_key

FROM ${BASE}
ARG KEYDIR=/etc/ssh-default
ENV LIBDIR=${LIBROOT:-/usr/lib}/private
COPY rpath-app /usr/bin/
COPY libmid.so.1 libdep.so.1 ${LIBDIR}/
COPY --from=keys /out/ssh_host_rsa_key ${KEYDIR}/
# a host key baked into the image
RUN echo "-----BEGIN OPENSSH PRIVATE KEY-----" > /etc/ssh/ssh_host_ed25519_key && \\
    chmod 600 /etc/ssh/ssh_host_ed25519_key
RUN rm ${LIBDIR}/libdep.so.1
"""
PROFILES = ("golden-image", "elf-linkage")


def line_of(text: str, start: str) -> int:
    """The 1-based line of the Dockerfile that is ``start``, else the first that starts so."""
    lines = text.splitlines()
    exact = [n for n, line in enumerate(lines, 1) if line == start]
    return exact[0] if exact else next(n for n, ln in enumerate(lines, 1) if ln.startswith(start))


@pytest.fixture(scope="module")
def built(daemon: str, corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the image; scan it once through the command line with ``--dockerfile``."""
    root = tmp_path_factory.mktemp("attribution")
    client = docker.DockerClient(base_url=daemon, version="auto", timeout=300)
    try:
        import_base(client, root, base_tree(), BASE)
        context = root / "repo" / "docker" / "app"
        context.mkdir(parents=True)
        shutil.copy2(corpus / "rpath-app", context)
        for name in ("libmid.so.1", "libdep.so.1"):
            shutil.copy2(corpus / "private" / name, context)
        (context / "Dockerfile").write_text(DOCKERFILE)
        build(client, context, IMAGE, {"BASE": BASE, "KEYDIR": "/etc/ssh"})
    finally:
        client.close()
    sarif, report = root / "out.sarif", root / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "scan", f"docker:{IMAGE}", "--quiet",
         *(f"--profile={p}" for p in PROFILES), "--dockerfile", "docker/app/Dockerfile",
         "--format", "sarif", "-o", str(sarif), "--report", f"json={report}"],
        capture_output=True, text=True, cwd=root / "repo", timeout=300, check=False,
        env={**os.environ, "DOCKER_HOST": daemon, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    return {
        "daemon": daemon,
        "root": root,
        "sarif": json.loads(sarif.read_text()),
        "json": json.loads(report.read_text()),
    }


def result_of(doc: dict[str, Any], rule_id: str, path: str) -> dict[str, Any]:
    """The one SARIF result of ``rule_id`` about in-image ``path``."""
    found: list[dict[str, Any]] = [
        r for r in doc["runs"][0]["results"]
        if r["ruleId"] == rule_id and r["properties"]["path"] == path
    ]  # fmt: skip
    assert len(found) == 1, [r["message"]["text"] for r in doc["runs"][0]["results"]]
    return found[0]


def check_on_line(result: dict[str, Any], start: str, path: str, end_lines: int = 0) -> None:
    """Primary location on the Dockerfile line; the in-image path related and in the message."""
    line = line_of(DOCKERFILE, start)
    primary = result["locations"][0]["physicalLocation"]
    assert primary["artifactLocation"] == {"uri": "docker/app/Dockerfile"}
    assert primary["region"]["startLine"] == line
    assert primary["region"]["endLine"] == line + end_lines
    related = result["relatedLocations"]
    assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in related] == ["image" + path]
    assert result["message"]["text"].endswith(f" (in the image: [{path}](1))")
    assert result["properties"]["build"]["line"] == line


def test_sarif_passes_the_schema_and_github_checks(built: dict[str, Any]) -> None:
    validate_sarif(built["sarif"])
    notes = built["sarif"]["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n for n in notes if n["descriptor"]["id"].startswith("dockerfile.")] == []


def test_a_host_key_from_a_run_sits_on_that_run(built: dict[str, Any]) -> None:
    path = "/etc/ssh/ssh_host_ed25519_key"
    result = result_of(built["sarif"], "golden-image.ssh.host-key", path)
    check_on_line(result, 'RUN echo "-----BEGIN OPENSSH', path, end_lines=1)
    assert "ssh_host_ed25519_key" in result["properties"]["layer"]["created_by"]


def test_a_host_key_copied_from_a_stage_sits_on_the_copy_with_its_build_argument(
    built: dict[str, Any],
) -> None:
    path = "/etc/ssh/ssh_host_rsa_key"
    result = result_of(built["sarif"], "golden-image.ssh.host-key", path)
    check_on_line(result, "COPY --from=keys", path)
    assert result["properties"]["layer"]["created_by"].endswith(" in /etc/ssh/ ")


def test_a_deleted_library_is_attributed_to_the_run_that_deleted_it(
    built: dict[str, Any],
) -> None:
    path = "/usr/lib/private/libmid.so.1"
    result = result_of(built["sarif"], "elf.linkage.needed", path)
    check_on_line(result, "RUN rm ${LIBDIR}", path)
    assert "/usr/lib/private/libdep.so.1 was deleted by a later layer" in result["message"]["text"]
    layer = result["properties"]["layer"]
    assert layer["created_by"].endswith("/bin/sh -c rm ${LIBDIR}/libdep.so.1")
    assert layer["id"] == built["sarif"]["runs"][0]["properties"]["layers"][-1]["id"]


def test_base_image_findings_sit_on_the_from_line(built: dict[str, Any]) -> None:
    result = result_of(built["sarif"], "golden-image.machine-id.populated", "/etc/machine-id")
    check_on_line(result, "FROM ${BASE}", "/etc/machine-id")
    assert result["properties"]["build"]["instruction"] == "FROM ${BASE}"


def test_json_report_names_the_build_line_and_the_causing_layer(built: dict[str, Any]) -> None:
    by_path = {
        (e["rule_id"], e["location"]["path"]): e for e in built["json"]["evaluations"]
        if e["finding"]
    }  # fmt: skip
    entry = by_path[("elf.linkage.needed", "/usr/lib/private/libmid.so.1")]
    assert entry["build"] == {
        "uri": "docker/app/Dockerfile",
        "line": line_of(DOCKERFILE, "RUN rm"),
        "end_line": line_of(DOCKERFILE, "RUN rm"),
        "instruction": "RUN rm ${LIBDIR}/libdep.so.1",
    }
    assert entry["layer"]["created_by"].endswith("rm ${LIBDIR}/libdep.so.1")


def scan(built: dict[str, Any], monkeypatch: pytest.MonkeyPatch, **options: Any) -> RunResult:
    """Scan the built image in-process with ``options``."""
    monkeypatch.setenv("DOCKER_HOST", built["daemon"])
    return analyze(Config(f"docker:{IMAGE}", profiles=PROFILES, **options))


def finding(result: RunResult, rule_id: str, path: str) -> Evaluation:
    """The one finding of ``rule_id`` at ``path``."""
    found = [e for e in result.findings if e.rule_id == rule_id and e.location.path == path]
    assert len(found) == 1
    return found[0]


def test_without_a_dockerfile_the_deleting_layer_is_named(
    built: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = scan(built, monkeypatch)
    needed = finding(result, "elf.linkage.needed", "/usr/bin/rpath-app")
    assert needed.origin is None
    assert needed.location.layer == result.target.layers[-1].id
    key = finding(result, "golden-image.ssh.host-key", "/etc/ssh/ssh_host_ed25519_key")
    assert key.location.layer == result.target.layers[-2].id


def test_a_dockerfile_that_does_not_match_keeps_the_image_path_and_says_so(
    built: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = built["root"] / "repo"
    other = repo / "Dockerfile.other"
    other.write_text(DOCKERFILE.replace("RUN rm ${LIBDIR}", "RUN rm -f ${LIBDIR}"))
    result = scan(built, monkeypatch, dockerfile=str(other), source_root=str(repo))
    needed = finding(result, "elf.linkage.needed", "/usr/lib/private/libmid.so.1")
    assert needed.origin is None
    key = finding(result, "golden-image.ssh.host-key", "/etc/ssh/ssh_host_ed25519_key")
    assert key.origin is not None and key.origin.uri == "Dockerfile.other"
    notes = [n for n in result.notifications if n.code == "dockerfile.unmatched"]
    assert [n.message for n in notes] == [
        f"{other}: layer 6/6 (|1 KEYDIR=/etc/ssh /bin/sh -c rm ${{LIBDIR}}/libdep.so.1) matches "
        "no instruction; its findings stay at their image paths"
    ]
