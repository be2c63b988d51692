"""Image history -> Dockerfile lines, as the classic builder and BuildKit write the history."""

from __future__ import annotations

from analyzer.attribution.dockerfile import parse_dockerfile
from analyzer.attribution.history import Entry, map_layers, read_entry

DOCKERFILE = """\
ARG BASE=debian:12
FROM ${BASE} AS build
RUN make

FROM ${BASE}
ARG DEST=/opt/default
ENV APP=/opt/app
WORKDIR ${APP}
COPY app.conf ${DEST}/
COPY --from=build /src/out bin/
RUN rm -f /usr/lib/libz.so.1 && \\
    echo done
"""


def lines(history: list[Entry]) -> list[int | str | None]:
    """Each layer's line, ``base`` for the FROM image's, ``None`` when unattributed."""
    parsed = parse_dockerfile(DOCKERFILE)
    return [
        "base" if m.base else (m.instruction.line if m.instruction else None)
        for m in map_layers(parsed, history)
    ]


CLASSIC = [
    ("/bin/sh -c #(nop) ADD file:0123 in / ", False),
    ('/bin/sh -c #(nop)  CMD ["bash"]', True),
    ("/bin/sh -c #(nop)  ARG DEST=/opt/default", True),
    ("/bin/sh -c #(nop)  ENV APP=/opt/app", True),
    ("/bin/sh -c #(nop) WORKDIR /opt/app", False),
    ("/bin/sh -c #(nop) COPY file:aa in /srv/conf/ ", False),
    ("/bin/sh -c #(nop) COPY dir:bb in bin/ ", False),
    ("|1 DEST=/srv/conf /bin/sh -c rm -f /usr/lib/libz.so.1 &&     echo done", False),
]


def test_classic_builder_history_maps_every_layer() -> None:
    history = [read_entry(text, empty) for text, empty in CLASSIC]
    assert lines(history) == ["base", 8, 9, 10, 11]


def test_build_arguments_shown_in_the_history_are_used_for_destinations() -> None:
    history = [read_entry(text, empty) for text, empty in CLASSIC]
    assert history[-1] == Entry(
        "RUN", "rm -f /usr/lib/libz.so.1 && echo done", False, (("DEST", "/srv/conf"),)
    )
    without = [*history[:-1], read_entry("/bin/sh -c rm -f /usr/lib/libz.so.1 && echo done", False)]
    assert lines(without)[2] is None


BUILDKIT = [
    ("/bin/sh -c #(nop) ADD file:0123 in / ", False),
    ('/bin/sh -c #(nop)  CMD ["bash"]', True),
    ("ARG DEST=/opt/default", True),
    ("ENV APP=/opt/app", True),
    ("WORKDIR /opt/app # buildkit", False),
    ("COPY app.conf /srv/conf/ # buildkit", False),
    ("COPY /src/out bin/ # buildkit", False),
    (
        "RUN |1 DEST=/srv/conf /bin/sh -c rm -f /usr/lib/libz.so.1 &&     echo done # buildkit",
        False,
    ),
]


def test_buildkit_history_maps_every_layer() -> None:
    history = [read_entry(text, empty) for text, empty in BUILDKIT]
    assert history[-1].kind == "RUN"
    assert history[6] == Entry("COPY", "/src/out bin/", False)
    assert history[2:4] == [
        Entry("ARG", "DEST=/opt/default", True),
        Entry("ENV", "APP=/opt/app", True),
    ]
    assert lines(history) == ["base", 8, 9, 10, 11]


def test_a_layer_no_instruction_made_is_unattributed() -> None:
    history = [read_entry(text, empty) for text, empty in CLASSIC]
    history.insert(5, read_entry("/bin/sh -c apt-get install -y curl", False))
    assert lines(history) == ["base", 8, None, 9, 10, 11]


def test_two_instructions_that_fit_one_layer_equally_leave_it_unattributed() -> None:
    parsed = parse_dockerfile("FROM scratch\nCOPY a /etc/\nCOPY b /etc/\n")
    history = [read_entry("/bin/sh -c #(nop) COPY file:aa in /etc/ ", False)]
    (match,) = map_layers(parsed, history)
    assert match.instruction is None
    assert match.candidates == (2, 3)


def test_the_stage_that_fits_best_is_the_image_s_stage() -> None:
    parsed = parse_dockerfile("FROM a AS one\nRUN make one\nFROM b AS two\nRUN make two\n")
    history = [read_entry("/bin/sh -c make one", False)]
    (match,) = map_layers(parsed, history)
    assert match.instruction is not None and match.instruction.line == 2


def test_buildkit_run_options_are_not_part_of_the_command() -> None:
    entry = read_entry(
        "RUN --mount=type=cache,target=/root/.cache /bin/sh -c pip install x # buildkit", False
    )
    assert entry == Entry("RUN", "pip install x", False)
    parsed = parse_dockerfile(
        "FROM scratch\nRUN --mount=type=cache,target=/root/.cache pip install x\n"
    )
    (match,) = map_layers(parsed, [entry])
    assert match.instruction is not None and match.instruction.line == 2


def test_a_base_image_layer_like_the_stage_s_first_instruction_stays_base() -> None:
    parsed = parse_dockerfile("FROM debian:12\nADD rootfs.tar /\nRUN make\n")
    history = [
        read_entry("/bin/sh -c #(nop) ADD file:0123 in / ", False),
        read_entry('/bin/sh -c #(nop)  CMD ["bash"]', True),
        read_entry("/bin/sh -c #(nop) ADD file:4567 in / ", False),
        read_entry("/bin/sh -c make", False),
    ]
    assert [m.base for m in map_layers(parsed, history)] == [True, False, False]
    assert [m.instruction.line for m in map_layers(parsed, history) if m.instruction] == [1, 2, 3]
