"""Leaves about kconfig symbols of one kernel: ``kconfig`` and ``module_loadable``.

Each works on a ``kernel`` subject whose value is a
:class:`~analyzer.facts.kernel.Kernel`; ``=m`` only counts when the module ships
(see :func:`~analyzer.policy.leaves.kernelbase.module_result`), and a symbol the kernel's
version cannot have gives a note saying why.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import KERNELS
from analyzer.facts.kernel import Kernel
from analyzer.kernel.cgroups import CONTROLLERS, CgroupMode
from analyzer.kernel.history import CGROUP_V1_ONLY, HISTORY
from analyzer.kernel.kconfig import PREFIX, KConfig, State, Symbol
from analyzer.kernel.symbols import MODULE_OF
from analyzer.model import FactId, Facts, Level, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind
from analyzer.policy.leaves.kernelbase import (
    KERNEL_SUBJECTS,
    kernel_of,
    module_result,
    no_config,
    symbol_location,
)
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import BOOL, MODULE, STRING, SYMBOL


@dataclass(frozen=True, slots=True)
class Kconfig:
    """``kconfig: {symbol: CONFIG_X, values: [y, m], alternatives: [...], module: name}``.

    Passes when the symbol (or an alternative) has one of ``values``; ``=m`` also needs the
    module to ship (``module_check: false`` turns that off). A symbol this kernel version
    cannot have (see :data:`~analyzer.kernel.symbols.HISTORY`) gives a note saying why.
    """

    key: ClassVar[str] = "kconfig"
    needs: ClassVar[tuple[FactId, ...]] = (KERNELS,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = KERNEL_SUBJECTS
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("symbol", SYMBOL, required=True),
        Param("values", STRING, many=True, choices=("y", "m", "n")),
        Param("alternatives", SYMBOL, many=True),
        Param("module", MODULE, many=True),
        Param("module_check", BOOL),
        scalar="symbol",
    )
    symbol: str
    values: tuple[str, ...] = ("y", "m")
    alternatives: tuple[str, ...] = ()
    module: tuple[str, ...] | None = None
    module_check: bool = True

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Look the symbol up in the subject kernel's configuration."""
        del facts
        kernel = kernel_of(subject)
        config = kernel.config
        if config is None:
            return no_config(kernel)
        for name in (self.symbol, *self.alternatives):
            found = config.get(name)
            if found is None or found.state.value not in self.values:
                continue
            via = f" (via {PREFIX}{name})" if name != self.symbol else ""
            if found.state is State.MODULE and self.module_check:
                modules = (
                    self.module if name == self.symbol and self.module else MODULE_OF.get(name, ())
                )
                result = module_result(kernel, found, modules)
                return dataclasses.replace(result, detail=result.detail + via)
            return LeafResult(
                Outcome.PASS,
                found.describe() + via,
                symbol_location(kernel, found),
                (kernel.config_evidence(),),
            )
        return self._missing(kernel, config)

    def _missing(self, kernel: Kernel, config: KConfig) -> LeafResult:
        primary = config.get(self.symbol)
        evidence = (kernel.config_evidence(),)
        v1_only = self._v1_only(kernel, config, primary)
        if v1_only is not None:
            return v1_only
        history = HISTORY.get(self.symbol)
        version = kernel.version
        if primary is None and history and version and history.missing_by_design(version):
            carriers = [config.get(r) for r in history.replacement]
            enabled = [s for s in carriers if s is not None and s.enabled]
            detail = f"{PREFIX}{self.symbol} does not exist in {kernel.release}: {history.why}"
            if enabled:
                detail += f"; {enabled[0].describe()}"
                return LeafResult(
                    Outcome.PASS, detail, symbol_location(kernel, enabled[0]), evidence, Level.NOTE
                )
            names = ", ".join(PREFIX + r for r in history.replacement)
            return LeafResult(
                Outcome.FAIL,
                f"{detail}, and {names} is not set either",
                kernel.config_file or kernel.location,
                evidence,
                Level.NOTE,
            )
        detail = primary.describe() if primary else f"{PREFIX}{self.symbol} is absent"
        if primary is not None and primary.state is State.MODULE:
            detail += f" (needs {'/'.join(self.values)})"
        if self.alternatives:
            tried = [
                found.describe() if (found := config.get(a)) else f"{PREFIX}{a} absent"
                for a in self.alternatives
            ]
            detail += f"; also tried {', '.join(tried)}"
        return LeafResult(Outcome.FAIL, detail, symbol_location(kernel, primary), evidence)

    def _v1_only(
        self, kernel: Kernel, config: KConfig, primary: Symbol | None
    ) -> LeafResult | None:
        """A cgroup v1 controller's symbol on a kernel that boots with cgroup v2 only."""
        controller = CGROUP_V1_ONLY.get(self.symbol)
        if controller is None or kernel.cgroup.mode is not CgroupMode.V2:
            return None
        v2 = CONTROLLERS.get(controller)
        version = kernel.version
        if v2 is not None and v2.since is not None and version is None:
            return None
        state = primary.describe() if primary else f"{PREFIX}{self.symbol} is absent"
        detail = (
            f"{state}: {controller} is a cgroup v1 controller and this kernel boots with"
            f" cgroup v2 only ({kernel.cgroup.detail})"
        )
        where = symbol_location(kernel, primary)
        evidence = (kernel.config_evidence(), f"cgroup hierarchy: {kernel.cgroup.detail}")
        if v2 is None:
            detail += "; container engines do not use it on cgroup v2"
            return LeafResult(Outcome.PASS, detail, where, evidence, Level.NOTE)
        found = [config.get(name) for name in v2.symbols]
        enabled = [symbol for symbol in found if symbol is not None and symbol.enabled]
        too_old = v2.since is not None and version is not None and version[:2] < v2.since
        if len(enabled) == len(v2.symbols) and not too_old:
            provided = ", ".join(symbol.describe() for symbol in enabled)
            detail += f"; cgroup v2 provides it ({v2.note}: {provided})"
            return LeafResult(Outcome.PASS, detail, where, evidence, Level.NOTE)
        if too_old and v2.since is not None:
            lack = f"Linux {v2.since[0]}.{v2.since[1]}"
        else:
            lack = ", ".join(f"{PREFIX}{name}" for name in v2.symbols if not config.enabled(name))
        detail += f", but its cgroup v2 counterpart ({v2.note}) needs {lack}"
        return LeafResult(Outcome.FAIL, detail, where, evidence)


@dataclass(frozen=True, slots=True)
class ModuleLoadable:
    """``module_loadable: {module: overlay, symbol: CONFIG_OVERLAY_FS}``: built in, or shipped."""

    key: ClassVar[str] = "module_loadable"
    needs: ClassVar[tuple[FactId, ...]] = (KERNELS,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = KERNEL_SUBJECTS
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("module", MODULE, required=True), Param("symbol", SYMBOL, required=True)
    )
    module: str
    symbol: str

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """From kconfig when there is one, else from the modules tree alone."""
        del facts
        kernel = kernel_of(subject)
        names = tuple(self.module.split("|"))
        config = kernel.config
        if config is not None:
            found = config.get(self.symbol)
            if found is not None and found.state is State.BUILTIN:
                return LeafResult(
                    Outcome.PASS,
                    f"{found.describe()}: {self.module} is built in",
                    symbol_location(kernel, found),
                    (kernel.config_evidence(),),
                )
            if found is not None and found.state is State.MODULE:
                return module_result(kernel, found, names)
            detail = found.describe() if found else f"{PREFIX}{self.symbol} is absent"
            return LeafResult(
                Outcome.FAIL,
                f"{detail}: {self.module} can be neither built in nor loaded",
                symbol_location(kernel, found),
                (kernel.config_evidence(),),
            )
        tree = kernel.modules
        if tree is not None and (tree.ships(names) or tree.builds_in(names)):
            return LeafResult(Outcome.PASS, f"{self.module} is in {tree.directory}", tree.location)
        gone = tree.listed_missing(names) if tree is not None else None
        if tree is not None and gone is not None:
            return LeafResult(
                Outcome.FAIL,
                gone.describe(),
                gone.location,
            )
        return no_config(kernel)
