"""Operating-system identity: ``os-release``, architecture and init system (the ``os`` fact).

``/etc/os-release`` is read first and ``/usr/lib/os-release`` is the fallback, as
os-release(5) prescribes (:data:`~analyzer.facts.os.OS_RELEASE`). The architecture is the
``image_arch`` fact (:mod:`.architecture`), the init system is :func:`.initsystem.detect_init`.
"""

from __future__ import annotations

import shlex

from analyzer.collectors.base import CollectContext
from analyzer.collectors.initsystem import detect_init
from analyzer.collectors.textfiles import read_lines
from analyzer.facts import IMAGE_ARCH, OS
from analyzer.facts.os import OS_RELEASE, OsIdentity
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.capture import CapturePattern


def parse_os_release(lines: list[str]) -> dict[str, str]:
    """``KEY=value`` lines with shell quoting removed; comments and bad lines skipped."""
    fields: dict[str, str] = {}
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#") or "=" not in text:
            continue
        key, raw = text.split("=", 1)
        if not key.isidentifier():
            continue
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw.strip("\"'")]
        fields[key] = " ".join(words)
    return fields


class OsCollector:
    """Produces the ``os`` fact (always present; unknown parts are ``None``)."""

    name = "os"
    provides: tuple[FactId, ...] = (OS,)
    requires: tuple[FactId, ...] = (IMAGE_ARCH,)
    capture = tuple(CapturePattern(path) for path in OS_RELEASE)

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Read os-release, decide architecture and init."""
        del notes
        tree = ctx.tree
        fields: dict[str, str] = {}
        source = None
        for path in OS_RELEASE:
            text = read_lines(tree, path)
            if text.lines is not None:
                fields, source = parse_os_release(text.lines), tree.location(path)
                break
        arch = facts.get(IMAGE_ARCH)
        init = detect_init(tree)
        value = OsIdentity(
            id=fields.get("ID"),
            version_id=fields.get("VERSION_ID"),
            pretty_name=fields.get("PRETTY_NAME"),
            source=source,
            architecture=arch.value.goarch if arch.value is not None else None,
            architecture_source=arch.value.source if arch.value is not None else arch.reason,
            init=init.kind,
            init_evidence=init.evidence,
            fields=fields,
        )
        return FactStore.one(OS, Fact.present(value, source))
