"""The atheris entry point of one fuzz family (``tests/fuzz/campaign.py`` starts it).

``FUZZ_FAMILY`` names the family and ``FUZZ_WORK`` its work directory (seeds, base image,
scratch files); the command line is libFuzzer's. The package under test is instrumented for
coverage; any exception the target lets through is a crash, a slow input a timeout and an
input over ``-rss_limit_mb`` a memory outlier, each saved by libFuzzer as an artifact.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["analyzer"]):
    import targets


def main() -> None:
    """Fuzz the family named in the environment until libFuzzer's limits stop it."""
    run = targets.target(os.environ["FUZZ_FAMILY"], Path(os.environ["FUZZ_WORK"]))
    atheris.Setup(sys.argv, run)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
