"""Shared test set-up: ``tests/`` is on ``sys.path`` so tests import ``builders`` directly.

``tests/sources/disk`` is put there too, so that any test can build disks with
``disk_builders`` (``to_disk`` and the tools behind it).

Session fixtures used by several directories are made known here, so that every module
shares one: the private Docker daemon (``daemon``), the installed wheel (``installed``) and
the demo's disk image (``demo``).
"""

import os
import signal
import sys
from pathlib import Path
from typing import Any

from dockerdaemon import daemon
from wheelbuild import demo, installed

from analyzer.errors import RAISE_BUGS_ENV

sys.path.insert(0, str(Path(__file__).resolve().parent / "sources" / "disk"))

# reader bugs (KeyError, IndexError, ...) crash the tests instead of becoming notifications
os.environ[RAISE_BUGS_ENV] = "1"

# A shell starts background jobs (make test from a script, CI) with SIGINT ignored, and an
# ignored signal stays ignored in every child; tests that interrupt a child as a terminal
# would need it back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

__all__ = ["daemon", "demo", "installed"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many JSON reports the session validated against their committed schema."""
    from jsonreports import VALIDATED

    if VALIDATED:
        counted = ", ".join(f"{count} {name}" for name, count in sorted(VALIDATED.items()))
        terminalreporter.write_line(f"JSON reports validated against their schema: {counted}")
