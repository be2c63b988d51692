"""Subject kinds: what one evaluation of a rule is about, and where to find them in the facts.

``image`` is the whole artefact (one subject). Other kinds enumerate a fact's items. A
provider returns the subjects, or the name of the fact that made them undeterminable.
"""

from __future__ import annotations

from collections.abc import Callable

from analyzer.facts import Facts
from analyzer.model import Location
from analyzer.policy.leaf import Subject

#: Returns the subjects, or a string naming the missing fact when they cannot be listed.
SubjectProvider = Callable[[Facts], list[Subject] | str]


def image_subjects(facts: Facts) -> list[Subject] | str:
    """The artefact itself: one subject at the image root."""
    del facts
    return [Subject("image", "", Location("/"))]


SUBJECTS: dict[str, SubjectProvider] = {
    "image": image_subjects,
}
