"""The ``kernel`` subject kind: one subject per kernel release the image carries.

Subjects come from the ``kernels`` fact (see :mod:`analyzer.collectors.kernels`): the key is
the release, the location the kernel's configuration file (else its image or modules
directory), and the value its :class:`~analyzer.facts.kernel.Kernel`. When the
artefact has no kernel, the fact's reason becomes one unknown evaluation per rule.
"""

from __future__ import annotations

from analyzer.facts import KERNELS
from analyzer.model import Facts
from analyzer.policy.leaf import Subject, SubjectKind, Undetermined


def kernel_subjects(facts: Facts) -> list[Subject] | Undetermined:
    """Every kernel, the default one first; why not when the fact is not present."""
    kernels = facts.value(KERNELS)
    if kernels is None:
        return Undetermined.of(KERNELS, facts)
    return [
        Subject(SubjectKind.KERNEL, kernel.release, kernel.location, kernel) for kernel in kernels
    ]
