"""What the kernel leaves share: the subject's kernel, locations, parameters, module checks.

A failure about a symbol points at the configuration file at the symbol's line (the
``# CONFIG_X is not set`` line); inside an embedded configuration there is no line.
"""

from __future__ import annotations

from analyzer.facts.kernel import ConfigSource, Kernel
from analyzer.kernel.kconfig import Symbol
from analyzer.model import Level, Location, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind

KERNEL_SUBJECTS = (SubjectKind.KERNEL,)


def symbol_location(kernel: Kernel, symbol: Symbol | None) -> Location:
    """The config file at the symbol's line (no line inside an embedded configuration)."""
    where = kernel.config_file or kernel.location
    if symbol is None or kernel.config_source is not ConfigSource.FILE:
        return where
    return where.at_line(symbol.line)


def kernel_of(subject: Subject) -> Kernel:
    """The subject's :class:`Kernel` (a ``TypeError`` for any other subject)."""
    if not isinstance(subject.value, Kernel):
        raise TypeError(f"subject {subject.key!r} is not a kernel")
    return subject.value


def no_config(kernel: Kernel) -> LeafResult:
    """Unknown: this kernel has no configuration, with the reason why."""
    return LeafResult(
        Outcome.UNKNOWN, kernel.config_problem, kernel.location, (kernel.config_problem,)
    )


def module_result(kernel: Kernel, symbol: Symbol, modules: tuple[str, ...]) -> LeafResult:
    """``=m`` is only as good as the module file: check that one of ``modules`` ships."""
    where = symbol_location(kernel, symbol)
    evidence: tuple[str, ...] = (kernel.config_evidence(),)
    label = "|".join(modules)
    if not modules:
        return LeafResult(
            Outcome.PASS,
            f"{symbol.describe()} (module name not known; not checked)",
            where,
            evidence,
        )
    tree = kernel.modules
    if tree is None:
        return LeafResult(
            Outcome.UNKNOWN,
            f"{symbol.describe()}, but there is no modules tree for {kernel.release}: whether"
            f" {label} ships cannot be told",
            where,
            evidence,
            Level.NOTE,
        )
    shipped = tree.ships(modules) or tree.builds_in(modules)
    evidence += (f"modules from {', '.join(tree.sources) or tree.directory}",)
    if shipped:
        return LeafResult(
            Outcome.PASS,
            f"{symbol.describe()}; {shipped} ships in {tree.directory}",
            where,
            evidence,
        )
    gone = tree.listed_missing(modules)
    if gone is not None:
        return LeafResult(
            Outcome.FAIL,
            f"{symbol.describe()}: {gone.describe()}",
            gone.location,
            evidence,
            properties={
                "module": gone.name,
                "modules_dep": gone.location.path,
                "listed": gone.listed,
            },
        )
    return LeafResult(
        Outcome.FAIL,
        f"{symbol.describe()}, but module {label} is not in {tree.directory}",
        where,
        evidence,
        properties={"module": label, "modules_directory": tree.directory},
    )
