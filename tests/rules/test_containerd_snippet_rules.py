"""k0s.containerd.snippet: one evaluation per /etc/k0s/containerd.d/*.toml, at the bad line."""

from __future__ import annotations

from pathlib import Path

from builders import Item
from scenarios import evaluations, findings, scan

from analyzer.model import Level, Outcome

RULE = "k0s.containerd.snippet"
GOOD = (
    "version = 3\n\n"
    '[plugins."io.containerd.cri.v1.runtime".containerd]\n'
    '  snapshotter = "overlayfs"\n'
)


def snippet(
    tmp_path: Path, text: str, name: str = "10-custom.toml"
) -> list[tuple[str, int | None, str]]:
    result = scan(tmp_path, {f"etc/k0s/containerd.d/{name}": text}, role="worker")
    found = findings(result, RULE)
    assert all(e.level is Level.ERROR for e in found)
    return [(e.location.path, e.location.line, e.message) for e in found]


def test_valid_snippet_passes(tmp_path: Path) -> None:
    result = scan(tmp_path, {"etc/k0s/containerd.d/10-custom.toml": GOOD}, role="worker")
    (evaluation,) = evaluations(result, RULE)
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.location.path == "/etc/k0s/containerd.d/10-custom.toml"


def test_no_snippets_passes_at_the_snippet_directory(tmp_path: Path) -> None:
    result = scan(tmp_path, {"etc/k0s/k0s.yaml": "apiVersion: k0s.k0sproject.io/v1beta1\n"})
    (evaluation,) = evaluations(result, RULE)
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.message == "no file matches /etc/k0s/containerd.d/*.toml"
    assert evaluation.location.path == "/etc/k0s/containerd.d"


def test_toml_syntax_error_at_its_line(tmp_path: Path) -> None:
    text = "version = 3\n[plugins\nx = 1\n"
    ((path, line, message),) = snippet(tmp_path, text)
    assert (path, line) == ("/etc/k0s/containerd.d/10-custom.toml", 2)
    assert message.startswith("k0s rejects this containerd snippet: not valid TOML:")
    assert "(at line 2, column" in message


def test_version_two_at_the_version_line(tmp_path: Path) -> None:
    text = "# migrated\n\nversion = 2\n[plugins]\n"
    assert snippet(tmp_path, text) == [
        (
            "/etc/k0s/containerd.d/10-custom.toml",
            3,
            "k0s rejects this containerd snippet: unsupported configuration version:"
            " expected 3, got 2",
        )
    ]


def test_version_of_the_wrong_type(tmp_path: Path) -> None:
    ((_, line, message),) = snippet(tmp_path, 'version = "3"\n')
    assert line == 1
    assert message.endswith("unexpected type for version field (str)")


def test_version_key_inside_a_table_is_not_the_top_level_version(tmp_path: Path) -> None:
    text = '[plugins."io.containerd.cri.v1.images"]\n  version = 2\n'
    assert snippet(tmp_path, text) == []


def test_old_cri_plugin_table_at_its_header(tmp_path: Path) -> None:
    text = (
        "version = 3\n"
        "\n"
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n'
        '  runtime_type = "io.containerd.runc.v2"\n'
    )
    assert snippet(tmp_path, text) == [
        (
            "/etc/k0s/containerd.d/10-custom.toml",
            3,
            "k0s rejects this containerd snippet: configures the old CRI plugin"
            ' [plugins."io.containerd.grpc.v1.cri"]',
        )
    ]


def test_several_reasons_are_joined_at_the_first_line(tmp_path: Path) -> None:
    text = "version = 2\n[plugins.'io.containerd.grpc.v1.cri']\nsandbox_image = 'pause'\n"
    ((_, line, message),) = snippet(tmp_path, text)
    assert line == 1
    assert message == (
        "k0s rejects this containerd snippet: unsupported configuration version: expected 3,"
        ' got 2; configures the old CRI plugin [plugins."io.containerd.grpc.v1.cri"]'
    )


def test_snippets_apply_to_workers_only(tmp_path: Path) -> None:
    spec: dict[str, Item] = {"etc/k0s/containerd.d/a.toml": "version = 2\n"}
    assert evaluations(scan(tmp_path, spec, role="controller"), RULE) == []


def test_other_extensions_are_not_snippets(tmp_path: Path) -> None:
    spec: dict[str, Item] = {"etc/k0s/containerd.d/a.toml.disabled": "version = 2\n"}
    (evaluation,) = evaluations(scan(tmp_path, spec, role="worker"), RULE)
    assert (evaluation.outcome, evaluation.location.path) == (Outcome.PASS, "/etc/k0s/containerd.d")


def test_binary_garbage_is_a_toml_error_not_a_crash(tmp_path: Path) -> None:
    result = scan(tmp_path, {"etc/k0s/containerd.d/x.toml": b"\x00\xff\xfe[[[\n"}, role="worker")
    (finding,) = findings(result, RULE)
    assert finding.location.path == "/etc/k0s/containerd.d/x.toml"
    assert finding.message.startswith("k0s rejects this containerd snippet: not valid TOML:")
