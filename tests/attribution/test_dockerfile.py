"""The Dockerfile reader: lines, continuations, directives, heredocs, stages, variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import File, make_tree, to_dir

from analyzer.attribution.dockerfile import parse_dockerfile, read_dockerfile
from analyzer.attribution.words import Scope, expand
from analyzer.errors import UsageError
from analyzer.model import Level
from analyzer.pipeline import Config, analyze


def test_continuations_skip_comment_and_blank_lines_and_keep_the_first_line() -> None:
    parsed = parse_dockerfile(
        "FROM base\n"
        "# a comment\n"
        "RUN apt-get update && \\\n"
        "# inside the continuation\n"
        "\n"
        "    apt-get install -y x\n"
        "COPY a /b\n"
    )
    run, copy = parsed.stages[0].instructions
    assert (run.keyword, run.line, run.end_line) == ("RUN", 3, 6)
    assert " ".join(run.text.split()) == "apt-get update && apt-get install -y x"
    assert (copy.keyword, copy.line, copy.end_line) == ("COPY", 7, 7)


def test_escape_directive_changes_the_continuation_character() -> None:
    parsed = parse_dockerfile("# escape=`\nFROM base\nRUN echo a `\n  b\nRUN echo \\\n")
    first, second = parsed.stages[0].instructions
    assert " ".join(first.text.split()) == "echo a b"
    assert (first.line, first.end_line) == (3, 4)
    assert (second.text, second.line) == ("echo \\", 5)


def test_heredoc_bodies_belong_to_their_instruction() -> None:
    parsed = parse_dockerfile(
        "FROM base\n"
        "RUN <<EOF\n"
        "echo key > /etc/ssh/ssh_host_rsa_key\n"
        "EOF\n"
        "COPY <<-'CONF' /etc/app.conf\n"
        "\tsetting=1\n"
        "\tCONF\n"
        "USER app\n"
    )
    run, copy, user = parsed.stages[0].instructions
    assert (run.line, run.end_line, run.heredocs) == (
        2, 4, ("echo key > /etc/ssh/ssh_host_rsa_key",)
    )  # fmt: skip
    assert (copy.line, copy.end_line, copy.heredocs) == (5, 7, ("setting=1",))
    assert (user.keyword, user.line) == ("USER", 8)


def test_stages_names_bases_and_flags() -> None:
    parsed = parse_dockerfile(
        "ARG BASE=debian:12\n"
        "ARG TAG\n"
        "FROM ${BASE} AS build\n"
        "RUN make\n"
        "from build as final\n"
        "COPY --from=build --chown=1:1 /out/app /usr/bin/app\n"
    )
    build, final = parsed.stages
    assert (build.base, build.name, build.start.line) == ("debian:12", "build", 3)
    assert (final.base, final.name) == ("build", "final")
    assert parsed.global_args == {"BASE": "debian:12", "TAG": None}
    copy = final.instructions[0]
    assert copy.flags == {"from": "build", "chown": "1:1"}
    assert copy.args == "/out/app /usr/bin/app"
    assert parsed.stage_named("BUILD") is build


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${A}/x", "1/x"),
        ("$A$B", "1"),
        ("${B:-dflt}", "dflt"),
        ("${E:-dflt}", "dflt"),
        ("${E-dflt}", ""),
        ("${A:+alt}", "alt"),
        ("${B:+alt}", ""),
        ("${B+alt}", ""),
        ("${E+alt}", "alt"),
        ("\\$A", "$A"),
        ("${NESTED:-${A}0}", "10"),
    ],
)
def test_variables_expand_as_the_builder_does(text: str, expected: str) -> None:
    assert expand(text, Scope({"A": "1", "E": ""})) == expected


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"RUN x\n", "Dockerfile:1: RUN before the first FROM"),
        (b"# just a comment\n", "Dockerfile: no FROM instruction; not a Dockerfile"),
        (b"FROM x\n\xff\n", "Dockerfile: the Dockerfile is not UTF-8 text (byte 7)"),
    ],
)
def test_unusable_files_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, problem: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("Dockerfile").write_bytes(content)
    with pytest.raises(UsageError) as caught:
        read_dockerfile("Dockerfile")
    assert str(caught.value) == problem


def test_a_missing_file_is_named() -> None:
    with pytest.raises(
        UsageError, match=r"^/nonexistent/Dockerfile: cannot read the Dockerfile: No such file"
    ):
        read_dockerfile("/nonexistent/Dockerfile")


@pytest.mark.parametrize("dockerfile", [True, False])
def test_a_source_root_that_is_not_a_directory_is_refused(tmp_path: Path, dockerfile: bool) -> None:
    rootfs = to_dir(make_tree({"etc/hostname": File("node\n")}), tmp_path / "rootfs")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    missing = str(tmp_path / "no-such-dir")
    config = Config(
        f"dir:{rootfs}",
        dockerfile=str(tmp_path / "Dockerfile") if dockerfile else None,
        source_root=missing,
    )
    with pytest.raises(UsageError) as caught:
        analyze(config)
    assert str(caught.value) == f"{missing}: the source root is not a directory"


def test_a_dockerfile_for_a_target_that_is_not_an_image_is_a_warning(tmp_path: Path) -> None:
    rootfs = to_dir(make_tree({"etc/machine-id": File("0123456789abcdef0123456789abcdef\n")}),
                    tmp_path / "rootfs")  # fmt: skip
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY rootfs /\n")
    result = analyze(
        Config(str(rootfs), profiles=("golden-image",), dockerfile=str(tmp_path / "Dockerfile"),
               source_root=str(tmp_path))
    )  # fmt: skip
    assert all(e.origin is None for e in result.evaluations)
    (note,) = [n for n in result.notifications if n.code.startswith("dockerfile.")]
    assert (note.level, note.code) == (Level.WARNING, "dockerfile.not-an-image")
    assert note.message == (
        f"{tmp_path / 'Dockerfile'}: the target is not a container image; findings stay at "
        "their image paths"
    )


def test_a_dockerfile_outside_the_source_root_is_refused_before_the_scan(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "repo").mkdir()
    with pytest.raises(UsageError, match=r"Dockerfile: outside the source root .*/repo \(give"):
        analyze(Config("/nonexistent", dockerfile=str(tmp_path / "Dockerfile"),
                       source_root=str(tmp_path / "repo")))  # fmt: skip
