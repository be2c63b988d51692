"""``file_contains``: the first line of a file (and what it includes) that matches a pattern.

File content comes from the packs' ``capture:`` section: a pack that reads
``/etc/ssh/sshd_config`` declares it, and its drop-ins, there (a file no pack declared makes
the leaf unknown, with the reason). The search is
:func:`~analyzer.policy.leaves.contentsearch.first_match`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import FILES
from analyzer.model import FactId, Facts, Location, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, unknown
from analyzer.policy.leaves.contentsearch import SSHD, Hit, first_match
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import ABSOLUTE, REGEX, STRING, member_of
from analyzer.stream.paths import NOT_THERE

#: The outcome without a matching line, by name (``fail`` or ``pass``).
MISSING_OUTCOME = member_of(Outcome, "an outcome")


@dataclass(frozen=True, slots=True)
class FileContains:
    """``file_contains: {path, match, expect, includes, missing}``: the deciding line.

    The first line matching ``match`` decides, as sshd and most daemons take the first value
    of a keyword: with ``expect``, its first group (the whole match when it has no group) must
    match ``expect`` entirely; without, the line being there passes. ``includes: sshd``
    follows sshd_config's ``Include`` lines in place and skips ``Match`` blocks. Without a
    matching line (a missing file has none) the outcome is ``missing`` (``fail`` unless
    given); a file that could not be read before a match was found makes it unknown. Results
    are located at the deciding line.
    """

    key: ClassVar[str] = "file_contains"
    needs: ClassVar[tuple[FactId, ...]] = (FILES,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("path", ABSOLUTE, required=True, doc="the file to search"),
        Param("match", REGEX, required=True, doc="the line that decides (first match wins)"),
        Param("expect", REGEX, doc="what its first group must be"),
        Param("includes", STRING, choices=(SSHD,), doc="follow Include lines as sshd does"),
        Param(
            "missing",
            MISSING_OUTCOME,
            choices=(Outcome.FAIL.value, Outcome.PASS.value),
            doc="the outcome without a matching line",
        ),
    )
    path: str
    match: re.Pattern[str]
    expect: re.Pattern[str] | None = None
    includes: str = ""
    missing: Outcome = Outcome.FAIL

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Search the file and judge its first matching line."""
        del subject
        index = facts.value(FILES)
        if index is None:
            return unknown(FILES, facts)

        def read(path: str) -> tuple[str | None, Location, str]:
            content = index.content(path)
            if content.data is None and content.problem in NOT_THERE:
                return "", content.location, ""
            return content.text, content.location, content.problem

        def expand(glob: str) -> list[str]:
            return [info.path for info in index.match([glob])]

        hit = first_match(self.path, self.match, read, expand, self.includes)
        if hit.match is None or hit.location is None:
            return self._no_line(hit, index.content(self.path).location)
        return self._judge(hit, hit.match, hit.location)

    def _judge(self, hit: Hit, found: re.Match[str], where: Location) -> LeafResult:
        evidence: tuple[str, ...] = (f"read {', '.join(hit.files)}",)
        value = found.group(1) if found.re.groups else found.group(0)
        properties = {"value": value}
        if self.expect is None or self.expect.fullmatch(value):
            return LeafResult(Outcome.PASS, hit.line, where, evidence, None, properties)
        evidence += (f"expected {self.expect.pattern}",)
        return LeafResult(Outcome.FAIL, hit.line, where, evidence, None, properties)

    def _no_line(self, hit: Hit, where: Location) -> LeafResult:
        evidence = (f"pattern {self.match.pattern}",)
        if hit.unread:
            detail = "no matching line in what was read; not read: " + "; ".join(hit.unread)
            return LeafResult(Outcome.UNKNOWN, detail, where, evidence)
        detail = f"no matching line in {', '.join(hit.files) or self.path}"
        return LeafResult(self.missing, detail, where, evidence)
