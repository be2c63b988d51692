"""A pack's ``capture:`` section: the files whose content the pass keeps for the pack's leaves.

::

    capture:
      paths: [/etc/ssh/sshd_config, "/etc/ssh/sshd_config.d/*.conf"]
      max_bytes: 65536          # optional; default 256 KiB, at most 16 MiB

Paths are absolute in-image globs (``*``, ``?``, ``[...]`` within a component, ``**`` across).
A matching file larger than ``max_bytes`` is not kept: reading it says so (see
:mod:`analyzer.collectors.filecontent`), it is never cut short. The pipeline adds the captures
of the packs whose rules are selected to its capture plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.model import YAML
from analyzer.policy.params import Param, ParamError, ParamSpec
from analyzer.policy.paramtypes import ABSOLUTE, INT

#: Bytes kept per file when a pack does not say (the same as collectors' captures).
DEFAULT_MAX_BYTES = 256 * 1024
#: The largest cap a pack may ask for: captured bytes stay in memory for the whole run.
LIMIT_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PackCapture:
    """Globs whose files' content the pass keeps, up to ``max_bytes`` each."""

    paths: tuple[str, ...]
    max_bytes: int = DEFAULT_MAX_BYTES


#: The ``capture:`` section's keys, checked like a leaf's parameters.
CAPTURE_SPEC = ParamSpec(
    Param("paths", ABSOLUTE, required=True, many=True, doc="absolute in-image globs"),
    Param("max_bytes", INT, doc="largest file kept, in bytes"),
)


def parse_capture(raw: YAML) -> PackCapture:
    """The capture a pack declares; :class:`ParamError` when the section is wrong."""
    if not isinstance(raw, dict):
        raise ParamError("'capture' is a mapping with 'paths' and optional 'max_bytes'")
    capture = CAPTURE_SPEC.build(PackCapture, raw)
    if not 0 < capture.max_bytes <= LIMIT_MAX_BYTES:
        raise ParamError(
            f"'max_bytes' is from 1 to {LIMIT_MAX_BYTES}, not {capture.max_bytes}", "max_bytes"
        )
    return capture
