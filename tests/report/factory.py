"""Hand-built run results for the report-writer tests.

Small constructors with defaults (:func:`rule`, :func:`evaluation`, :func:`target`,
:func:`result`) and :func:`sample` -- one result holding every scenario the writers must
handle: a finding with a line, a finding on ``/``, paths with spaces, ``%`` and a colon, layer
attribution, notifications, unknown and not-applicable evaluations, a security rule, nested
rules, a rule with several subjects, and facts of every shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analyzer.facts import EXECUTABLES, KERNELS, MACHINE_ID, OS
from analyzer.facts.executables import Candidate, CandidateStatus, Executables, Lookup
from analyzer.facts.os import InitKind, OsIdentity
from analyzer.model import (
    Evaluation,
    Fact,
    Facts,
    FactStore,
    LayerInfo,
    Level,
    Location,
    Notification,
    Outcome,
    RuleInfo,
    RunResult,
    TargetInfo,
    TargetKind,
)
from analyzer.report.common import MIN_SHARED

BASE_LAYER = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
TOP_LAYER = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
LAYERS: tuple[LayerInfo, ...] = (
    LayerInfo(
        BASE_LAYER,
        digest=BASE_LAYER,
        diff_id="sha256:aaaa",
        created_by="/bin/sh -c #(nop) ADD file:base in /",
    ),
    LayerInfo(
        TOP_LAYER,
        "layer 2 of 2",
        digest=TOP_LAYER,
        diff_id="sha256:bbbb",
        created_by="RUN printf '127.0.0.1 localhost\\n' > /etc/hosts",
    ),
)
KERNEL_NA = "the kernel belongs to the host that runs the container"


def rule(
    rule_id: str,
    *,
    title: str | None = None,
    level: Level = Level.ERROR,
    area: str = "general",
    parent: str | None = None,
    security_severity: str | None = None,
    tags: tuple[str, ...] = (),
    profiles: tuple[str, ...] = ("k0s",),
    description: str | None = None,
    help_markdown: str = "Fix it: edit the file.",
) -> RuleInfo:
    """Build a rule description."""
    return RuleInfo(
        id=rule_id,
        title=title if title is not None else rule_id.rsplit(".", 1)[-1],
        description=description if description is not None else f"Checks {rule_id}.",
        level=level,
        help_markdown=help_markdown,
        tags=tags,
        profiles=profiles,
        roles=("controller", "worker"),
        area=area,
        parent=parent,
        security_severity=security_severity,
    )


def evaluation(
    rule_id: str,
    outcome: Outcome = Outcome.FAIL,
    *,
    level: Level = Level.ERROR,
    message: str = "it failed",
    path: str = "/",
    line: int | None = None,
    access_path: str | None = None,
    layer: str | None = None,
    subject: str = "",
    discriminator: str = "",
    evidence: tuple[str, ...] = (),
    properties: Mapping[str, Any] | None = None,
) -> Evaluation:
    """Build one evaluation."""
    return Evaluation(
        rule_id,
        outcome,
        level,
        message,
        Location(path, line, access_path, layer),
        subject=subject,
        discriminator=discriminator,
        evidence=evidence,
        properties=properties or {},
    )


def target(
    reference: str = "docker:ghcr.io/acme/app:1.2",
    *,
    source: str = "docker",
    kind: TargetKind = TargetKind.CONTAINER,
    layers: tuple[LayerInfo, ...] = LAYERS,
    properties: Mapping[str, Any] | None = None,
) -> TargetInfo:
    """Build a target description."""
    return TargetInfo(
        reference,
        source,
        kind,
        layers,
        properties
        if properties is not None
        else {"config_digest": "sha256:cccc", "platform": "linux/amd64"},
    )


def result(
    rules: Sequence[RuleInfo],
    evaluations: Sequence[Evaluation],
    *,
    notifications: Sequence[Notification] = (),
    facts: Facts | None = None,
    target_info: TargetInfo | None = None,
    complete: bool = True,
) -> RunResult:
    """Build a run result."""
    return RunResult(
        target=target_info or target(),
        rules=tuple(rules),
        evaluations=tuple(evaluations),
        notifications=tuple(notifications),
        facts=facts or FactStore(),
        profiles=("k0s",),
        roles=("controller", "worker"),
        tool_version="0.1.0",
        complete=complete,
    )


SAMPLE_RULES = (
    rule(
        "k0s.name-resolution.localhost",
        title="localhost resolves without NSS",
        area="name-resolution",
        tags=("k0s",),
        help_markdown="Add `127.0.0.1 localhost` and `::1 localhost` to `/etc/hosts`.",
    ),
    rule(
        "golden.machine-id.empty",
        title="machine-id is empty",
        level=Level.WARNING,
        area="clone-hygiene",
        security_severity="5.5",
        profiles=("golden-image",),
    ),
    rule("image.layout.root", title="root directory is sane", level=Level.NOTE, area="layout"),
    rule("image.layout.odd-names", title="no odd file names", level=Level.WARNING, area="layout"),
    rule("k0s.kconfig", title="Kernel configuration", area="kernel"),
    rule("k0s.kconfig.CONFIG_CGROUPS", title="CONFIG_CGROUPS", area="kernel", parent="k0s.kconfig"),
    rule("k0s.kconfig.CONFIG_NAMESPACES", title="CONFIG_NAMESPACES", area="kernel"),
    rule("k0s.os", title="Operating system", area="os"),
    rule("k0s.kernel.version", title="Linux kernel release", area="os", parent="k0s.os"),
    rule("elf.interpreter", title="ELF interpreter exists", area="binaries", tags=("elf",)),
    rule("k0s.executables.modprobe", title="Executable in PATH: modprobe", area="binaries"),
)


def sample_evaluations() -> list[Evaluation]:
    """Every evaluation of :func:`sample`, in engine order."""
    return [
        evaluation(
            "k0s.name-resolution.localhost",
            message="localhost is not in /etc/hosts",
            path="/etc/hosts",
            line=3,
            access_path="/etc/hosts",
            layer=TOP_LAYER,
            subject="image",
            discriminator="localhost",
            evidence=("/etc/hosts:3: 127.0.0.1 ip6-localhost",),
            properties={"names": ("ip6-localhost",), "nsswitch": None},
        ),
        evaluation(
            "golden.machine-id.empty",
            level=Level.WARNING,
            message="/etc/machine-id holds a machine id",
            path="/etc/machine-id",
            line=1,
            access_path="/var/lib/dbus/machine-id",
            layer=BASE_LAYER,
        ),
        evaluation("image.layout.root", level=Level.NOTE, message="/ is world-writable", path="/"),
        evaluation(
            "image.layout.odd-names",
            level=Level.WARNING,
            message="odd name",
            path="/etc/foo:bar",
            subject="/etc/foo:bar",
            discriminator="/etc/foo:bar",
        ),
        evaluation(
            "image.layout.odd-names",
            level=Level.WARNING,
            message="odd name",
            path="/opt/my app/100%.conf",
            subject="/opt/my app/100%.conf",
            discriminator="/opt/my app/100%.conf",
        ),
        *(
            evaluation(rule_id, Outcome.NOT_APPLICABLE, message=KERNEL_NA)
            for rule_id in (
                "k0s.kconfig",
                "k0s.kconfig.CONFIG_CGROUPS",
                "k0s.kconfig.CONFIG_NAMESPACES",
            )
        ),
        evaluation("k0s.os", Outcome.PASS, message="Linux", path="/etc/os-release"),
        evaluation("k0s.kernel.version", Outcome.UNKNOWN, message="no kernel image found in /boot"),
        evaluation(
            "elf.interpreter",
            message="interpreter /lib/ld-musl-x86_64.so.1 is missing",
            path="/usr/bin/app",
            subject="/usr/bin/app",
            discriminator="/usr/bin/app",
            layer=TOP_LAYER,
        ),
        evaluation(
            "elf.interpreter",
            Outcome.PASS,
            message="/lib64/ld-linux-x86-64.so.2",
            path="/bin/ls",
            subject="/bin/ls",
            discriminator="/bin/ls",
        ),
        evaluation(
            "k0s.executables.modprobe",
            Outcome.PASS,
            message="/usr/sbin/modprobe",
            path="/usr/sbin/modprobe",
        ),
    ]


def sample_facts() -> FactStore:
    """Facts in each state: present (with locations and an odd file name), absent, unknown."""
    os_release = Location("/etc/os-release", layer=BASE_LAYER)
    os_value = OsIdentity(
        id="alpine",
        version_id="3.19",
        pretty_name=None,
        source=os_release,
        architecture="amd64",
        architecture_source="image config",
        init=InitKind.NONE,
        init_evidence="no /sbin/init, systemd or OpenRC",
        fields={"VERSION_ID": "3.19", "ID": "alpine"},
    )
    iptables = Candidate(
        "/usr/sbin/iptables",
        CandidateStatus.OK,
        "/usr/sbin/iptables -> /usr/sbin/xtables-nft-multi",
        Location("/usr/sbin/xtables-nft-multi", access_path="/usr/sbin/iptables"),
        variant="nft",
    )
    odd = Candidate(
        "/usr/local/sbin/ipt\udcffables", CandidateStatus.NOT_EXECUTABLE, "", Location("/x")
    )
    executables = Executables(
        search_path=("/usr/local/sbin", "/usr/sbin"),
        path_source="image config",
        lookups={
            "mount": Lookup("mount", None),
            "iptables": Lookup("iptables", iptables, (odd,)),
        },
    )
    facts = FactStore.one(OS, Fact.present(os_value, os_release))
    facts.put(EXECUTABLES, Fact.present(executables))
    facts.put(KERNELS, Fact.unknown("no kernel image found in /boot"))
    facts.put(MACHINE_ID, Fact.absent("not present", Location("/etc/machine-id")))
    return facts


SAMPLE_NOTIFICATIONS = (
    Notification(
        Level.WARNING,
        "capture.truncated",
        "/etc/big.conf is larger than the 1 MiB capture cap; only its start was read",
        Location("/etc/big.conf", layer=BASE_LAYER),
    ),
    Notification(Level.ERROR, "archive.corrupt", "layer 2 ends early: truncated gzip stream"),
)


def sample(*, complete: bool = False) -> RunResult:
    """The rich scenario result (incomplete by default, as a truncated archive gives)."""
    return result(
        SAMPLE_RULES,
        sample_evaluations(),
        notifications=SAMPLE_NOTIFICATIONS,
        facts=sample_facts(),
        complete=complete,
    )


#: The reason :func:`shared_unknowns` gives most of its rules.
SHARED_REASON = "no kernel in this artefact: kernel requirements cannot be determined from it"


def shared_unknowns() -> RunResult:
    """``MIN_SHARED`` kernel rules unknown for one reason, and rule ``k.other`` for its own."""
    rules = [rule(f"k.{i}", area="kernel") for i in range(MIN_SHARED)]
    rules.append(rule("k.other", area="kernel", title="Other"))
    evaluations = [evaluation(r.id, Outcome.UNKNOWN, message=SHARED_REASON) for r in rules[:-1]]
    evaluations.append(evaluation("k.other", Outcome.UNKNOWN, message="config unreadable"))
    return result(rules, evaluations)
