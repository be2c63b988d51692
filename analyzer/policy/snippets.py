"""Pack-level help snippets: a help paragraph written once and used by many rules.

::

    help:
      kconfig-builtin: |
        Build the kernel with `{symbol}` set to `y` (it is built in, never a module): install
        a kernel package whose configuration enables it, or rebuild the kernel with it.
    rules:
      - id: docker.kconfig.CONFIG_NAMESPACES
        help: {use: kconfig-builtin, symbol: CONFIG_NAMESPACES}

A rule's ``help`` is Markdown text, or ``{use: NAME, ...}``: the snippet NAME with each of its
``{placeholder}`` filled from the values given beside ``use``. A snippet that does not exist,
a placeholder without a value and a value no placeholder uses are load errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.model import YAML
from analyzer.policy.params import ParamError
from analyzer.policy.templates import TemplateError, fill, placeholders


@dataclass(frozen=True)
class Snippets:
    """A pack's help snippets by name (templates already checked)."""

    templates: Mapping[str, str] = field(default_factory=dict)

    def render(self, help_value: YAML) -> str:
        """A rule's help Markdown; :class:`TemplateError` when its snippet use is wrong."""
        if isinstance(help_value, str):
            return help_value
        if not isinstance(help_value, Mapping) or "use" not in help_value:
            raise TemplateError("is Markdown text or {use: SNIPPET, ...} naming a help snippet")
        name = help_value["use"]
        template = self.templates.get(name) if isinstance(name, str) else None
        if template is None:
            known = ", ".join(sorted(self.templates)) or "this pack has none"
            raise TemplateError(f"unknown help snippet {name!r} ({known})")
        values = {k: v for k, v in help_value.items() if k != "use"}
        wanted = set(placeholders(template))
        missing = sorted(wanted - set(values))
        if missing:
            raise TemplateError(f"help snippet {name!r} needs a value for {{{missing[0]}}}")
        extra = sorted(set(values) - wanted)
        if extra:
            raise TemplateError(f"help snippet {name!r} has no placeholder {{{extra[0]}}}")
        texts = {k: v for k, v in values.items() if isinstance(v, str)}
        bad = sorted(set(values) - set(texts))
        if bad:
            raise TemplateError(f"the value of {bad[0]!r} must be a string")
        return fill(template, texts)


def parse_snippets(raw: YAML) -> Snippets:
    """A pack's ``help:`` section; :class:`ParamError` naming the snippet at fault."""
    if not isinstance(raw, Mapping):
        raise ParamError("'help' maps snippet names to Markdown templates")
    templates: dict[str, str] = {}
    for name, template in raw.items():
        if not isinstance(template, str):
            raise ParamError(f"help snippet {name!r} must be Markdown text", name)
        try:
            placeholders(template)
        except TemplateError as exc:
            raise ParamError(f"help snippet {name!r}: {exc}", name) from None
        templates[name] = template
    return Snippets(templates)
