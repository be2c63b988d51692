"""Findings about a kernel name the layer of their evidence, from the kernel facts' own lookups.

The tree is two layers: the base holds the kernel configuration (one symbol switched off)
and systemd; the top adds a boot-loader default that disables the memory controller and a
modules tree whose ``modules.dep`` lists a module that is not there. Each finding must carry
the layer of the file that decided it. The rules are evaluated on the facts directly (no
pipeline), so the layer can only come from the locations the kernel collectors stored. (Kernel
rules do not apply to container images; the partition of a disk's kernel finding is checked
end to end, in JSON and SARIF, in ``tests/sources/disk/test_disk_end_to_end.py``.)
"""

from __future__ import annotations

import pytest
from builders import Item, make_tree, to_layer
from test_kernel_rules import SYSTEMD, R, debian_config
from test_modules_shipped import DEP, NF_CONNTRACK_DEP_LINE, modules_tree

from analyzer.analyzers import ANALYZERS
from analyzer.analyzers.text import TextCapture
from analyzer.collectors import COLLECTORS
from analyzer.collectors.base import CollectContext
from analyzer.facts import KERNELS
from analyzer.facts.kernel import ConfigSource, Kernel
from analyzer.kernel.cgroups import CgroupMode, Hierarchy
from analyzer.kernel.kconfig import parse
from analyzer.model import (
    Evaluation,
    FactStore,
    Location,
    Notification,
    Outcome,
    TargetInfo,
    TargetKind,
)
from analyzer.pipeline import Config, select_rules
from analyzer.policy.engine import evaluate
from analyzer.policy.leaf import Subject, SubjectKind
from analyzer.policy.leaves.kconfig import Kconfig
from analyzer.vfs.build import TreeBuilder

CONFIG = f"/boot/config-{R}"
COMMENT = "NETFILTER_XT_MATCH_COMMENT"
GRUB = "/etc/default/grub"
GRUB_TEXT = (
    "GRUB_DEFAULT=0\n"
    'GRUB_CMDLINE_LINUX="quiet"\n'
    'GRUB_CMDLINE_LINUX_DEFAULT="cgroup_disable=memory"\n'
)
BASE_ID, TOP_ID = "sha256:" + "b" * 64, "sha256:" + "7" * 64


def base_layer() -> dict[str, Item]:
    """The distribution: kernel configuration with CONFIG_NETFILTER_XT_MATCH_COMMENT off."""
    config = debian_config().replace(f"CONFIG_{COMMENT}=m\n", f"# CONFIG_{COMMENT} is not set\n")
    return {CONFIG[1:]: config, SYSTEMD: b"\x7fELF", "etc/hosts": "127.0.0.1 localhost\n"}


def top_layer() -> dict[str, Item]:
    """A later step: a boot-loader default and the modules tree, nf_conntrack missing."""
    return {GRUB[1:]: GRUB_TEXT, **modules_tree(deleted=("nf_conntrack",))}


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


COMMENT_LINE = line_of(str(base_layer()[CONFIG[1:]]), f"# CONFIG_{COMMENT} is not set")
GRUB_LINE = line_of(GRUB_TEXT, "GRUB_CMDLINE_LINUX_DEFAULT")


def where(evaluation: Evaluation) -> tuple[Outcome, str, int | None, str | None]:
    return (evaluation.outcome, evaluation.location.path, evaluation.location.line,
            evaluation.location.layer)  # fmt: skip


def one(evaluations: list[Evaluation], rule_id: str) -> Evaluation:
    (found,) = [e for e in evaluations if e.rule_id == rule_id]
    return found


@pytest.fixture(scope="module")
def on_facts() -> tuple[FactStore, list[Evaluation]]:
    """The k0s worker rules evaluated on the facts of the two-layer tree, without the pipeline."""
    patterns = [pattern for collector in COLLECTORS for pattern in collector.capture]
    builder = TreeBuilder([TextCapture(patterns), *ANALYZERS])
    layers = [to_layer(make_tree(base_layer()), BASE_ID), to_layer(make_tree(top_layer()), TOP_ID)]
    tree = builder.build(layers)
    notes: list[Notification] = []
    ctx = CollectContext(tree, TargetInfo("test", "test", TargetKind.ROOTFS))
    facts = FactStore()
    for collector in COLLECTORS:
        facts.update(collector.collect(ctx, facts, notes))
    rules, _ = select_rules(Config("unused", role="worker"))
    return facts, evaluate(rules, facts, TargetKind.ROOTFS, notes)


def test_kernel_facts_carry_the_layers_of_their_files(
    on_facts: tuple[FactStore, list[Evaluation]],
) -> None:
    facts, _ = on_facts
    (kernel,) = facts.get(KERNELS).get()
    assert kernel.config_file == Location(CONFIG, layer=BASE_ID)
    assert facts.get(KERNELS).location == Location(CONFIG, layer=BASE_ID)
    assert kernel.modules is not None
    assert kernel.modules.location == Location(f"/lib/modules/{R}", layer=TOP_ID)
    memory = [p for p in kernel.cmdline if p.name == "cgroup_disable"]
    assert [p.location for p in memory] == [Location(GRUB, GRUB_LINE, layer=TOP_ID)]
    assert kernel.cgroup.location == Location(f"/{SYSTEMD}", layer=BASE_ID)
    assert kernel.apparmor is not None and kernel.apparmor.location is not None
    assert kernel.apparmor.location.layer == BASE_ID


def test_symbol_finding_is_in_the_configuration_layer(
    on_facts: tuple[FactStore, list[Evaluation]],
) -> None:
    _, evaluations = on_facts
    found = one(evaluations, f"k0s.kconfig.CONFIG_{COMMENT}")
    assert where(found) == (Outcome.FAIL, CONFIG, COMMENT_LINE, BASE_ID)
    assert found.message == f"# CONFIG_{COMMENT} is not set"


def test_command_line_finding_is_in_the_boot_loader_layer(
    on_facts: tuple[FactStore, list[Evaluation]],
) -> None:
    _, evaluations = on_facts
    found = one(evaluations, "k0s.cgroups.controller.memory")
    assert where(found) == (Outcome.FAIL, GRUB, GRUB_LINE, TOP_ID)
    assert found.message == (
        "cgroup controller memory unavailable: cgroup_disable=memory on the kernel command line"
        " turns the memory controller off"
    )


def test_modules_finding_is_in_the_layer_of_modules_dep(
    on_facts: tuple[FactStore, list[Evaluation]],
) -> None:
    _, evaluations = on_facts
    found = one(evaluations, "k0s.kconfig.CONFIG_NF_CONNTRACK")
    assert where(found) == (Outcome.FAIL, DEP, NF_CONNTRACK_DEP_LINE, TOP_ID)
    assert "nf_conntrack is listed in modules.dep" in found.message
    loadable = one(evaluations, "k0s.kernel.module.nf_conntrack")
    assert where(loadable) == (Outcome.FAIL, DEP, NF_CONNTRACK_DEP_LINE, TOP_ID)


def test_passing_kernel_evaluations_carry_their_layer_too(
    on_facts: tuple[FactStore, list[Evaluation]],
) -> None:
    _, evaluations = on_facts
    assert where(one(evaluations, "k0s.kernel.version")) == (Outcome.PASS, CONFIG, None, BASE_ID)
    assert where(one(evaluations, "k0s.cgroups.v2")) == (Outcome.PASS, f"/{SYSTEMD}", None, BASE_ID)
    kernel_rules = [e for e in evaluations if e.rule_id.split(".")[1] in ("kconfig", "cgroups")]
    assert len(kernel_rules) > 50
    assert [e.rule_id for e in kernel_rules if e.location.layer is None] == []


def test_kconfig_leaf_locates_a_symbol_in_the_layer_of_the_configuration() -> None:
    """The leaf builds its location from the kernel fact's own, layer included."""
    config_file = Location("/usr/lib/modules/6.1.0/config", layer="vm.qcow2:part3")
    kernel = Kernel(
        release="6.1.0",
        default=True,
        default_reason="",
        image=None,
        image_release=None,
        image_problems=(),
        config_file=config_file,
        config_source=ConfigSource.FILE,
        config_searched=(config_file.path,),
        config_problem="",
        modules=None,
        cmdline=(),
        boot_files=(),
        cgroup=Hierarchy(CgroupMode.V2, "test"),
        apparmor=None,
        _config=parse(["CONFIG_CGROUPS=y", "# CONFIG_MEMCG is not set"]),
    )
    subject = Subject(SubjectKind.KERNEL, kernel.release, kernel.location, kernel)
    result = Kconfig("MEMCG").evaluate(FactStore(), subject)
    assert (result.outcome, result.detail) == (Outcome.FAIL, "# CONFIG_MEMCG is not set")
    assert result.location == config_file.at_line(2)
