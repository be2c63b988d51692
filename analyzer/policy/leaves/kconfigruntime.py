"""The ``kernel_config_runtime`` leaf: k0s's pre-flight can read the kernel configuration.

k0s reads ``/proc/config.gz`` first, then its list of files for the running release
(``/boot/config-R``, ``/usr/lib/modules/R/config``, ...: ``k0s_config`` of the kernel). Offline,
``/proc/config.gz`` exists on the booted host when the configuration says
``CONFIG_IKCONFIG_PROC=y`` and either ``CONFIG_IKCONFIG=y`` (built in) or ``CONFIG_IKCONFIG=m``
with the ``configs`` module shipped and loaded at boot (the ``modules_load`` fact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import KERNELS, MODULES_LOAD
from analyzer.facts.kernel import Kernel, ModulesLoad
from analyzer.kernel.kconfig import KConfig, State, Symbol
from analyzer.model import FactId, Facts, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, unknown
from analyzer.policy.leaves.kernelbase import KERNEL_SUBJECTS, kernel_of, symbol_location
from analyzer.policy.params import NO_PARAMS, ParamSpec

CONFIGS = "configs"


@dataclass(frozen=True, slots=True)
class KernelConfigRuntime:
    """``kernel_config_runtime: {}``: the configuration is where k0s looks on the booted host."""

    key: ClassVar[str] = "kernel_config_runtime"
    needs: ClassVar[tuple[FactId, ...]] = (KERNELS, MODULES_LOAD)
    subjects: ClassVar[tuple[SubjectKind, ...]] = KERNEL_SUBJECTS
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Pass when k0s will find a file or ``/proc/config.gz``; fail with the reason."""
        kernel = kernel_of(subject)
        if kernel.k0s_config is not None:
            return LeafResult(
                Outcome.PASS,
                f"k0s reads {kernel.k0s_config.path}",
                kernel.k0s_config,
            )
        config = kernel.config
        if config is None:
            return LeafResult(
                Outcome.FAIL,
                f"the kernel configuration of {kernel.release} is nowhere in the image"
                f" ({kernel.config_problem}): k0s will find no kernel config on this host and"
                " its kernel checks will be skipped",
                kernel.location,
                (kernel.config_problem,),
            )
        loads = facts.value(MODULES_LOAD)
        return _from_ikconfig(kernel, config, loads or unknown(MODULES_LOAD, facts))


def _from_ikconfig(kernel: Kernel, config: KConfig, loads: ModulesLoad | LeafResult) -> LeafResult:
    ikconfig, proc = config.get("IKCONFIG"), config.get("IKCONFIG_PROC")
    evidence = (kernel.config_evidence(),)
    files = f"none of k0s's files exists for {kernel.release}"
    if proc is None or proc.state is not State.BUILTIN:
        said = proc.describe() if proc else "CONFIG_IKCONFIG_PROC is absent"
        return _nowhere(kernel, f"{files} and there will be no /proc/config.gz ({said})", proc)
    if ikconfig is not None and ikconfig.state is State.BUILTIN:
        return LeafResult(
            Outcome.PASS,
            "CONFIG_IKCONFIG=y and CONFIG_IKCONFIG_PROC=y: k0s reads /proc/config.gz",
            symbol_location(kernel, proc),
            evidence,
        )
    if ikconfig is None or ikconfig.state is not State.MODULE:
        said = ikconfig.describe() if ikconfig else "CONFIG_IKCONFIG is absent"
        return _nowhere(kernel, f"{files} and there will be no /proc/config.gz ({said})", ikconfig)
    return _configs_module(kernel, loads, evidence)


def _nowhere(kernel: Kernel, why: str, symbol: Symbol | None) -> LeafResult:
    return LeafResult(
        Outcome.FAIL,
        f"{why}: k0s will find no kernel config on this host and its kernel checks will be skipped",
        symbol_location(kernel, symbol),
        (kernel.config_evidence(),),
    )


def _configs_module(
    kernel: Kernel, loads: ModulesLoad | LeafResult, evidence: tuple[str, ...]
) -> LeafResult:
    """``CONFIG_IKCONFIG=m``: the module must ship and be loaded at boot.

    ``loads`` is the unknown result to give when the boot-time module lists could not be read.
    """
    modules = kernel.modules
    module = kernel.configs_module or (
        modules.location if modules is not None and modules.ships([CONFIGS]) else None
    )
    if module is None:
        where = modules.directory if modules is not None else f"/lib/modules/{kernel.release}"
        return LeafResult(
            Outcome.FAIL,
            f"CONFIG_IKCONFIG=m but the configs module is not in {where}: /proc/config.gz"
            " cannot exist, k0s will find no kernel config on this host and its kernel checks"
            " will be skipped",
            kernel.location,
            evidence,
        )
    if isinstance(loads, LeafResult):
        return loads
    entry = loads.find(CONFIGS)
    if entry is not None:
        return LeafResult(
            Outcome.PASS,
            f"CONFIG_IKCONFIG=m and {entry.how} loads the configs module at boot: k0s reads"
            " /proc/config.gz",
            entry.location,
            (*evidence, f"configs loaded by {entry.location.path}:{entry.location.line}"),
        )
    read = ", ".join(loads.sources) or "none found"
    return LeafResult(
        Outcome.FAIL,
        f"the kernel configuration is only in {module.path} (CONFIG_IKCONFIG=m) and nothing"
        " loads the configs module at boot: /proc/config.gz will not exist and k0s's kernel"
        " checks will be skipped",
        module,
        (*evidence, f"boot-time module lists read: {read}"),
    )
