"""Subject kinds: what one evaluation of a rule is about, and where to find them in the facts.

``image`` is the whole artefact (one subject). Other kinds enumerate a fact's items. A
provider returns the subjects, or why they cannot be listed (:class:`~.leaf.Undetermined`).
Parametrised kinds (``file: GLOB ...``, :mod:`analyzer.policy.filesubjects`) take the text
after the colon from the rule.
"""

from __future__ import annotations

from collections.abc import Callable

from analyzer.model import Facts, Location, Outcome
from analyzer.policy.binaries import binary_subjects
from analyzer.policy.filesubjects import file_subjects, parse_globs
from analyzer.policy.kernels import kernel_subjects
from analyzer.policy.leaf import Subject, Undetermined
from analyzer.stream.paths import parent

#: Returns the subjects, or why they cannot be listed (their fact is not present).
SubjectProvider = Callable[[Facts], list[Subject] | Undetermined]


def image_subjects(facts: Facts) -> list[Subject] | Undetermined:
    """The artefact itself: one subject at the image root."""
    del facts
    return [Subject("image", "", Location("/"))]


SUBJECTS: dict[str, SubjectProvider] = {
    "image": image_subjects,
    "binary": binary_subjects,
    "kernel": kernel_subjects,
}

#: Returns the subjects for the rule's parameter (``file: GLOB ...``), or why not.
ParamSubjectProvider = Callable[[str, Facts], list[Subject] | Undetermined]

#: Subject kinds whose rules name a parameter after a colon, e.g. ``file: /etc/machine-id``.
PARAMETRISED: dict[str, ParamSubjectProvider] = {
    "file": file_subjects,
}


def subject_kind(spec: str) -> str:
    """The kind part of a rule's subject: ``file`` for ``file: /etc/machine-id``."""
    return spec.split(":", 1)[0].strip()


def subject_problem(spec: str) -> str:
    """Why ``spec`` is not a valid subject (empty when it is)."""
    kind, colon, param = spec.partition(":")
    kind = kind.strip()
    known = ", ".join(sorted({*SUBJECTS, *PARAMETRISED}))
    if kind in PARAMETRISED:
        if not colon:
            return f"subject {kind!r} needs a parameter: '{kind}: ...'"
        try:
            parse_globs(param)
        except ValueError as exc:
            return str(exc)
        return ""
    if colon or kind not in SUBJECTS:
        return f"unknown subject {spec!r} ({known})"
    return ""


def no_subjects(spec: str) -> tuple[Outcome, str, Location]:
    """The outcome of a rule that found nothing to evaluate.

    A ``file:`` rule looks for files that should not be there, so no match passes; any other
    kind with no subject (no binary in scope) has nothing to check.
    """
    kind, _, param = spec.partition(":")
    if kind.strip() in PARAMETRISED:
        globs = parse_globs(param)
        return Outcome.PASS, f"no file matches {' '.join(globs)}", Location(parent(globs[0]))
    return Outcome.NOT_APPLICABLE, f"no {kind.strip()} to check", Location("/")


def subjects_for(spec: str, facts: Facts) -> list[Subject] | Undetermined:
    """The subjects of a rule whose subject is ``spec``."""
    kind, _, param = spec.partition(":")
    kind = kind.strip()
    if kind in PARAMETRISED:
        return PARAMETRISED[kind](param, facts)
    return SUBJECTS[kind](facts)
