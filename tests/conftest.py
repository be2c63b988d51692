"""Shared test set-up: ``tests/`` is on ``sys.path`` so tests import ``builders`` directly.

``tests/sources/disk`` is put there too, so that any test can build disks with
``disk_builders`` (``to_disk`` and the tools behind it).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "sources" / "disk"))
