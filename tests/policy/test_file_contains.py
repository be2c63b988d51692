"""``file_contains`` in a user pack: captured content, line locations, what is not read."""

from __future__ import annotations

from pathlib import Path

from builders import make_tree, to_dir

from analyzer.model import Evaluation, Location, Outcome
from analyzer.pipeline import Config, analyze

PACK = """\
schema: 1
pack: demo
defaults: {profiles: [demo]}
CAPTURE
rules:
  - id: demo.contains
    title: contains
    level: error
    help: fix it
    message: "{detail}"
    check:
      file_contains: CHECK
"""


def run(tmp_path: Path, files: dict[str, str], check: str, capture: str) -> Evaluation:
    pack = tmp_path / "demo.yaml"
    pack.write_text(PACK.replace("CAPTURE", capture).replace("CHECK", check))
    target = to_dir(make_tree(files), tmp_path / "rootfs")
    result = analyze(Config(str(target), profiles=("demo",), rule_files=(str(pack),)))
    (evaluation,) = result.evaluations
    return evaluation


CAPTURED = "capture: {paths: [/etc/app.conf]}"


def test_a_present_line_passes_at_its_line(tmp_path: Path) -> None:
    files = {"etc/app.conf": "# app\nlisten 8080\nlisten 9090\n"}
    found = run(tmp_path, files, "{path: /etc/app.conf, match: '^listen (\\d+)'}", CAPTURED)
    assert found.outcome is Outcome.PASS
    assert (found.location.path, found.location.line) == ("/etc/app.conf", 2)


def test_missing_line_outcome_is_the_packs_choice(tmp_path: Path) -> None:
    check = "{path: /etc/app.conf, match: '^debug', missing: pass}"
    found = run(tmp_path, {"etc/app.conf": "listen 8080\n"}, check, CAPTURED)
    assert found.outcome is Outcome.PASS
    assert found.message == "no matching line in /etc/app.conf"
    assert found.location == Location("/etc/app.conf", layer="rootfs")


def test_a_file_no_pack_captured_is_unknown_with_the_reason(tmp_path: Path) -> None:
    check = "{path: /etc/app.conf, match: '^listen'}"
    found = run(tmp_path, {"etc/app.conf": "listen 8080\n"}, check, "")
    assert found.outcome is Outcome.UNKNOWN
    assert found.message == (
        "no matching line in what was read; not read: "
        "/etc/app.conf: no rule pack declares it in 'capture:'"
    )
