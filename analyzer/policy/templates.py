"""Message and help templates: ``{name}`` placeholders, checked when a pack is loaded.

A template may use only the placeholders its context provides (a rule's ``message``:
``{detail}`` and ``{subject}``; a help snippet: the values the rule passes to it), as plain
names: no attribute or index access, no conversion or format spec. ``{{`` and ``}}`` are a
literal brace. A typo (``{detial}``) or a malformed template (``{detail``) is a load error, so
filling a template at run time cannot fail.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from analyzer.errors import ImgauditError

#: The placeholders of a rule's ``message``: what the check found, and the subject's key.
MESSAGE_FIELDS = ("detail", "subject")


class TemplateError(ImgauditError, ValueError):
    """A template that uses an unknown placeholder or is malformed."""


def placeholders(template: str) -> list[str]:
    """The placeholder names of ``template`` in order; :class:`TemplateError` if malformed."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"malformed template ({exc}): {template!r}") from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateError(f"placeholder {{{name}}} must be a plain name like {{detail}}")
        names.append(name)
    return names


def check(template: str, fields: Iterable[str]) -> list[str]:
    """Validate ``template`` against the ``fields`` its context provides; its placeholders."""
    available = tuple(fields)
    names = placeholders(template)
    for name in names:
        if name not in available:
            listed = ", ".join(f"{{{f}}}" for f in available) or "none"
            raise TemplateError(f"unknown placeholder {{{name}}} (available: {listed})")
    return names


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with its placeholders replaced (validated with :func:`check` first)."""
    return template.format_map(values)
