"""Leaves about one kernel's release and command line: ``kernel_version`` and ``cmdline``.

A command-line failure points at the file and line of the parameter's effective (last)
occurrence; a version failure at the kernel image, else the kernel's default location.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import KERNELS
from analyzer.kernel.cgroups import last
from analyzer.model import FactId, Facts, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind
from analyzer.policy.leaves.kernelbase import KERNEL_SUBJECTS, kernel_of
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import BOOL, REGEX, STRING, VERSION


@dataclass(frozen=True, slots=True)
class KernelVersion:
    """The release's version is in range, or its release string matches a pattern.

    ``kernel_version: {min: "3.10"}`` (at least), ``{max: "5.1"}`` (at most, compared on as
    many numbers as given: ``5.1.200`` is within ``max: "5.1"``), ``{below: "4.8"}`` (strictly
    older), and ``{matches: ['^5[.]4', ...]}`` (any regular expression found in the release
    string, the way system-validators compares ``uname -r``). Bounds and patterns combine: all
    must hold.
    """

    key: ClassVar[str] = "kernel_version"
    needs: ClassVar[tuple[FactId, ...]] = (KERNELS,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = KERNEL_SUBJECTS
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("min", VERSION, attr="minimum"),
        Param("max", VERSION, attr="maximum"),
        Param("below", VERSION),
        Param("matches", REGEX, many=True),
        any_of=("min", "max", "below", "matches"),
    )
    minimum: tuple[int, ...] | None = None
    maximum: tuple[int, ...] | None = None
    below: tuple[int, ...] | None = None
    matches: tuple[re.Pattern[str], ...] = ()

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Compare major.minor(.patch) numerically, then the release against the patterns."""
        del facts
        kernel = kernel_of(subject)
        where = kernel.image or kernel.location
        version = kernel.version
        if version is None and (self.minimum or self.maximum or self.below):
            return LeafResult(Outcome.UNKNOWN, f"release {kernel.release!r} has no version number")
        if version is not None:
            failed = self._out_of_range(kernel.release, version)
            if failed:
                return LeafResult(Outcome.FAIL, failed, where)
        if self.matches and not any(p.search(kernel.release) for p in self.matches):
            listed = ", ".join(p.pattern for p in self.matches)
            return LeafResult(
                Outcome.FAIL, f"kernel {kernel.release} matches none of {listed}", where
            )
        text = f" (version {'.'.join(map(str, version))})" if version else ""
        return LeafResult(Outcome.PASS, f"kernel {kernel.release}{text}", where)

    def _out_of_range(self, release: str, version: tuple[int, ...]) -> str:
        if self.minimum is not None and version[: len(self.minimum)] < self.minimum:
            return f"kernel {release} is older than {_dotted(self.minimum)}"
        if self.maximum is not None and version[: len(self.maximum)] > self.maximum:
            return f"kernel {release} is newer than {_dotted(self.maximum)}"
        if self.below is not None and version[: len(self.below)] >= self.below:
            return f"kernel {release} is not older than {_dotted(self.below)}"
        return ""


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


@dataclass(frozen=True, slots=True)
class Cmdline:
    """A kernel parameter's effective (last) occurrence: forbidden values, absent, or equal.

    ``cmdline: {param: apparmor, forbid: ["0"]}``, ``{param: x, absent: true}`` or
    ``{param: x, equals: "1"}``; a failure points at the parameter's file and line.
    """

    key: ClassVar[str] = "cmdline"
    needs: ClassVar[tuple[FactId, ...]] = (KERNELS,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = KERNEL_SUBJECTS
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("param", STRING, required=True),
        Param("forbid", STRING, many=True),
        Param("absent", BOOL),
        Param("equals", STRING),
        one_of=(("forbid", "absent", "equals"),),
    )
    param: str
    forbid: tuple[str, ...] = ()
    absent: bool = False
    equals: str | None = None

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Check the parameter's effective value."""
        del facts
        kernel = kernel_of(subject)
        found = last(kernel.cmdline, self.param)
        sources = ", ".join(kernel.boot_files) or "no boot-loader configuration"
        evidence = (f"command line from {sources}",)
        if found is None:
            if self.equals is not None:
                return LeafResult(
                    Outcome.FAIL,
                    f"{self.param} is not on the kernel command line",
                    kernel.location,
                    evidence,
                )
            return LeafResult(
                Outcome.PASS, f"{self.param} is not on the kernel command line", None, evidence
            )
        where = found.location
        bad = self.absent or (found.value or "") in self.forbid
        if self.equals is not None:
            bad = found.value != self.equals
        outcome = Outcome.FAIL if bad else Outcome.PASS
        return LeafResult(outcome, f"{found.text()} ({found.source})", where, evidence)
