"""The README's install snippets, as the tests run them.

Each ``sh`` block of the README's ``## Install`` section is run line by line by a test (a line
ending in ``\\`` continues on the next one). ``make`` lines are checked with ``make -n`` in the
checkout (the tests build the same artefacts themselves); every other line runs in bash.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from wheelbuild import ROOT

from analyzer.pipeline import Config, analyze
from analyzer.report import FORMATS, ReportOptions

#: The profiles of the README's scans.
PROFILES = ("k0s", "golden-image")
PROFILE_ARGS = ("--profile", "k0s", "--profile", "golden-image")
FENCE = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def install_blocks() -> list[list[str]]:
    """The commands of each ``sh`` block under ``## Install``, continuations joined."""
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Install\n")
    end = text.index("\n## ", start + 1)
    blocks = []
    for body in FENCE.findall(text[start:end]):
        joined = body.replace("\\\n", " ")
        blocks.append(
            [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]
        )
    return blocks


def block(first_word: str) -> list[str]:
    """The block whose lines include one starting with ``first_word``."""
    (found,) = [b for b in install_blocks() if any(line.startswith(first_word) for line in b)]
    return found


def run_line(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one README line: ``make`` as a dry run in the checkout, the rest in bash."""
    if line.startswith("make "):
        return subprocess.run(
            ["make", "-n", "-C", str(ROOT), *line.split()[1:]],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    return subprocess.run(
        ["bash", "-c", line], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def checkout_report(target: str, fmt: str = "json", profiles: tuple[str, ...] = PROFILES) -> str:
    """The checkout's own report (``fmt``) for ``target``, by default with the README's profiles."""
    return FORMATS[fmt](analyze(Config(target, profiles=profiles)), ReportOptions())
