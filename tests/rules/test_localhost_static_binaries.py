"""The localhost rule names the static binaries that resolve names without NSS."""

from __future__ import annotations

from pathlib import Path

from builders import Item
from elfcorpus import Corpus, corpus, exe
from scenarios import only, scan

from analyzer.model import Outcome

__all__ = ["corpus"]
RULE = "k0s.name-resolution.localhost"
NSSWITCH = "hosts: files myhostname dns\n"


def test_static_musl_binary_is_named_in_the_localhost_finding(
    tmp_path: Path, corpus: Corpus
) -> None:
    spec: dict[str, Item] = {
        "etc/nsswitch.conf": NSSWITCH,
        "usr/bin/agent": exe(corpus / "hello-musl-static"),
    }
    evaluation = only(scan(tmp_path, spec), RULE)
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.location.path == "/etc/hosts"
    assert evaluation.message.endswith(
        "; 1 static binaries in this image resolve names the same way (e.g. /usr/bin/agent)"
    )
    assert "static binaries without NSS: /usr/bin/agent" in evaluation.evidence


def test_static_glibc_binary_is_not_listed(tmp_path: Path, corpus: Corpus) -> None:
    spec: dict[str, Item] = {
        "etc/nsswitch.conf": NSSWITCH,
        "usr/bin/tool": exe(corpus / "hello-static"),
    }
    evaluation = only(scan(tmp_path, spec), RULE)
    assert evaluation.outcome is Outcome.FAIL
    assert "static binaries" not in evaluation.message.split("static binaries such as k0s")[-1]
    assert not any(line.startswith("static binaries without NSS") for line in evaluation.evidence)
