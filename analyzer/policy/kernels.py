"""The ``kernel`` subject kind: one subject per kernel release the image carries.

Subjects come from the ``kernels`` fact (see :mod:`analyzer.collectors.kernels`): the key is
the release, the location the kernel's configuration file (else its image or modules
directory), and the value its :class:`~analyzer.collectors.kernel_model.Kernel`. When the
artefact has no kernel, the fact's reason becomes one unknown evaluation per rule.
"""

from __future__ import annotations

from analyzer.collectors.kernel_model import Kernel
from analyzer.facts import Facts
from analyzer.policy.leaf import Subject


def kernel_subjects(facts: Facts) -> list[Subject] | str:
    """Every kernel, the default one first; ``"kernels"`` when the fact is not present."""
    fact = facts.get("kernels")
    if fact is None or not fact.is_present:
        return "kernels"
    kernels: tuple[Kernel, ...] = fact.get()
    return [Subject("kernel", kernel.release, kernel.location, kernel) for kernel in kernels]
