"""Running ``python -m analyzer`` in a child process, the way a user or a CI job does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from jsonreports import load_report

ROOT = Path(__file__).resolve().parent.parent

#: The child records every write-like operation it attempts and prints them at exit.
AUDIT = r"""
import json, os, sys
events = []
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
MUTATING = {
    "os.mkdir", "os.remove", "os.rmdir", "os.rename", "os.replace", "os.chmod", "os.chown",
    "os.utime", "os.truncate", "os.symlink", "os.link", "os.setxattr", "os.removexattr",
    "os.mknod", "shutil.rmtree", "shutil.move", "shutil.copyfile",
}
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags & WRITE_FLAGS):
            events.append([event, os.fsdecode(args[0])])
    elif event in MUTATING:
        events.append([event, repr(args)])
sys.addaudithook(hook)
from analyzer.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("AUDIT " + json.dumps(events) + "\n")
sys.exit(code)
"""


def run_cli(
    *args: str,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[bytes]:
    """``python -m analyzer ARGS`` with the repository importable, whatever ``cwd`` is."""
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    child_env.pop("NO_COLOR", None)
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd or ROOT,
        env=child_env,
        timeout=timeout,
        check=False,
    )


def run_audited(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[bytes], list[list[str]]]:
    """Run the CLI with an audit hook; return the result and every write it attempted."""
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    child_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-c", AUDIT, *args],
        capture_output=True,
        cwd=cwd,
        env=child_env,
        timeout=120,
        check=False,
    )
    lines = done.stderr.decode().splitlines()
    audit = [line for line in lines if line.startswith("AUDIT ")]
    assert len(audit) == 1, done.stderr
    events: list[list[str]] = json.loads(audit[0][len("AUDIT ") :])
    return done, events


def scan_json(target: str, *args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any]]:
    """Scan ``target`` as JSON; return the exit code and the parsed report."""
    done = run_cli("scan", target, "--format", "json", *args, cwd=cwd)
    assert done.stdout, done.stderr.decode()
    report = load_report(done.stdout)
    return done.returncode, report


def one_line_error(done: subprocess.CompletedProcess[bytes]) -> str:
    """The single stderr line of a failed run (asserting it is one line and no traceback)."""
    assert done.returncode == 2, done
    assert done.stdout == b""
    text = done.stderr.decode()
    assert text.endswith("\n")
    assert text.count("\n") == 1, text
    assert "Traceback" not in text
    assert text.startswith("imgaudit: ")
    return text.rstrip("\n")
