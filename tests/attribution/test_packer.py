"""``--packer-template``: findings of a VM image on the provisioner that wrote the file.

The templates are checked by ``packer fmt`` (HCL2) and ``json`` first, so they are templates
Packer itself reads; the image is a qcow2 disk with an ext4 root made with the real tools.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from builders import File
from disk_builders import to_disk
from report.validate import validate_sarif

from analyzer.attribution.hcl import HclError, parse
from analyzer.attribution.packer import read_template
from analyzer.errors import UsageError
from analyzer.model import RunResult
from analyzer.pipeline import Config, analyze
from analyzer.report import FORMATS, ReportOptions

HCL = """\
source "qemu" "golden" {
  iso_url = "${var.iso}" # a comment
  /* a block
     comment */
  disk_size = 4096
}

build {
  sources = ["source.qemu.golden"]

  provisioner "file" {
    source      = "files/machine-id"
    destination = "/etc/machine-id"
  }

  provisioner "shell" {
    inline = [
      "apt-get install -y openssh-server",
      "ssh-keygen -A",
    ]
  }

  provisioner "shell" {
    script = "${path.root}/scripts/cleanup.sh"
  }
}
"""
CLEANUP = """\
#!/bin/sh
# leaves the keys behind
rm -f /var/log/*.log
echo key > /etc/ssh/ssh_host_rsa_key
"""
JSON = {
    "builders": [{"type": "qemu"}],
    "provisioners": [
        {"type": "shell", "inline": ["echo 0123456789abcdef0123456789abcdef > /etc/machine-id"]},
        {"type": "file", "source": "keys/", "destination": "/etc/ssh/"},
    ],
}
SPEC = {
    "etc/machine-id": File("0123456789abcdef0123456789abcdef\n"),
    "etc/ssh/ssh_host_rsa_key": File("key\n", mode=0o600),
    "etc/hosts": File("127.0.0.1 localhost\n"),
}


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A qcow2 VM disk with a baked machine-id and SSH host key."""
    return to_disk(SPEC, tmp_path_factory.mktemp("packer") / "golden.qcow2", "qcow2")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository holding both templates and the provisioner script."""
    (tmp_path / "packer" / "scripts").mkdir(parents=True)
    (tmp_path / "packer" / "golden.pkr.hcl").write_text(HCL)
    (tmp_path / "packer" / "scripts" / "cleanup.sh").write_text(CLEANUP)
    (tmp_path / "packer" / "golden.json").write_text(json.dumps(JSON, indent=2) + "\n")
    done = subprocess.run(
        ["packer", "fmt", "-check", str(tmp_path / "packer" / "golden.pkr.hcl")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp_path


def scan(disk: Path, repo: Path, template: str) -> RunResult:
    """Scan the disk with ``template`` (relative to the repository)."""
    return analyze(
        Config(str(disk), profiles=("golden-image",), packer_template=str(repo / template),
               source_root=str(repo))
    )  # fmt: skip


def line_in(text: str, needle: str) -> int:
    """The 1-based line of ``text`` holding ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def origin(result: RunResult, rule_id: str) -> tuple[str, int, str] | None:
    """``(uri, line, instruction)`` of the one finding of ``rule_id``, or ``None``."""
    (found,) = [e for e in result.findings if e.rule_id == rule_id]
    step = found.origin
    return None if step is None else (step.uri, step.line, step.instruction)


def test_hcl_template_attributes_files_to_their_provisioners(disk: Path, repo: Path) -> None:
    result = scan(disk, repo, "packer/golden.pkr.hcl")
    assert origin(result, "golden-image.machine-id.populated") == (
        "packer/golden.pkr.hcl", line_in(HCL, "destination ="), 'provisioner "file"'
    )  # fmt: skip
    assert origin(result, "golden-image.ssh.host-key") == (
        "packer/scripts/cleanup.sh",
        line_in(CLEANUP, "> /etc/ssh/ssh_host_rsa_key"),
        'provisioner "shell" script ${path.root}/scripts/cleanup.sh',
    )  # fmt: skip
    sarif = json.loads(FORMATS["sarif"](result, ReportOptions()))
    validate_sarif(sarif)
    (key,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "golden-image.ssh.host-key"]
    assert key["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "packer/scripts/cleanup.sh"
    )
    related = key["relatedLocations"][0]["physicalLocation"]["artifactLocation"]
    assert related["uri"] == "image/etc/ssh/ssh_host_rsa_key"


def test_json_template_attributes_inline_commands_and_directory_destinations(
    disk: Path, repo: Path
) -> None:
    result = scan(disk, repo, "packer/golden.json")
    text = (repo / "packer" / "golden.json").read_text()
    assert origin(result, "golden-image.machine-id.populated") == (
        "packer/golden.json", line_in(text, "> /etc/machine-id"), 'provisioner "shell"'
    )  # fmt: skip
    assert origin(result, "golden-image.ssh.host-key") == (
        "packer/golden.json", line_in(text, '"destination"'), 'provisioner "file"'
    )  # fmt: skip


def test_a_file_no_provisioner_names_keeps_its_image_path(disk: Path, repo: Path) -> None:
    (repo / "packer" / "golden.json").write_text(json.dumps({"provisioners": []}))
    result = scan(disk, repo, "packer/golden.json")
    assert origin(result, "golden-image.ssh.host-key") is None


def test_hcl_reader_reads_heredocs_and_reports_errors_with_the_line() -> None:
    (build,) = parse(
        'build {\n  provisioner "shell" {\n    inline = [<<EOF\nrm /x\nEOF\n    ]\n  }\n}\n'
    )
    (shell,) = build.blocks
    line, value = shell.attributes["inline"]
    assert (shell.line, shell.end_line, line, value.strings) == (2, 7, 3, (("rm /x", 4),))
    with pytest.raises(HclError, match="line 2: unterminated string"):
        parse('build {\n  x = "open\n}\n')


def test_an_unreadable_template_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pkr.hcl"
    bad.write_text("build {\n")
    with pytest.raises(UsageError, match=r"bad.pkr.hcl: line 1: block build is not closed$"):
        read_template(str(bad))


def test_a_script_named_through_a_variable_is_a_warning(disk: Path, repo: Path) -> None:
    template = repo / "packer" / "vars.pkr.hcl"
    template.write_text(
        'build {\n  provisioner "shell" {\n    script = "${var.dir}/x.sh"\n  }\n}\n'
    )
    result = scan(disk, repo, "packer/vars.pkr.hcl")
    assert origin(result, "golden-image.ssh.host-key") is None
    (note,) = [n for n in result.notifications if n.code == "packer.script-unread"]
    assert note.message == (
        f"{template}: script ${{var.dir}}/x.sh is named through a variable and was not read; "
        "what it writes stays at its image path"
    )


def test_a_script_outside_the_source_root_keeps_its_image_path(disk: Path, repo: Path) -> None:
    (repo / "shared").mkdir()
    (repo / "shared" / "cleanup.sh").write_text(CLEANUP)
    (repo / "packer" / "golden.pkr.hcl").write_text(
        HCL.replace("${path.root}/scripts/cleanup.sh", "${path.root}/../shared/cleanup.sh")
    )
    result = analyze(
        Config(str(disk), profiles=("golden-image",), source_root=str(repo / "packer"),
               packer_template=str(repo / "packer" / "golden.pkr.hcl"))
    )  # fmt: skip
    assert origin(result, "golden-image.ssh.host-key") is None
    assert origin(result, "golden-image.machine-id.populated") == (
        "golden.pkr.hcl", line_in(HCL, "destination ="), 'provisioner "file"'
    )  # fmt: skip
