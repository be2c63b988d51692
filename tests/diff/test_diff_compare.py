"""``compare_runs`` on hand-built results: facts by section, findings by fingerprint."""

from __future__ import annotations

from report.factory import evaluation, result, rule

from analyzer.diff import Change, Section, compare_runs, gating
from analyzer.diff.render import render_markdown, render_text
from analyzer.facts import MACHINE_ID
from analyzer.facts.identity import IdState, MachineIdFile, MachineIds
from analyzer.model import Fact, FactStore, Level, Location, Outcome, RunResult

RULES = (rule("a.rule", area="identity"), rule("b.rule", level=Level.WARNING))


def run(machine_id: Fact[MachineIds], *findings: tuple[str, str, Level, str]) -> RunResult:
    """A result with a machine-id fact and the given (rule, path, level, message) findings."""
    return result(
        RULES,
        [evaluation(r, level=lv, message=m, path=p) for r, p, lv, m in findings],
        facts=FactStore.one(MACHINE_ID, machine_id),
    )


def ids(state: IdState, content: str = "") -> Fact[MachineIds]:
    """A machine-id fact whose ``/etc/machine-id`` is in ``state``."""
    where = Location("/etc/machine-id", 1)
    return Fact.present(MachineIds({"/etc/machine-id": MachineIdFile(
        "/etc/machine-id", state, content, where)}))  # fmt: skip


def test_findings_new_fixed_changed_and_the_gate() -> None:
    old = run(
        ids(IdState.EMPTY), ("a.rule", "/x", Level.ERROR, "m"), ("b.rule", "/y", Level.NOTE, "n")
    )
    new = run(
        ids(IdState.VALID, "ab" * 16),
        ("b.rule", "/y", Level.WARNING, "n2"),
        ("b.rule", "/z", Level.NOTE, "z"),
    )
    diff = compare_runs(old, new)
    assert [(c.kind, c.finding.rule_id, c.finding.location.path) for c in diff.findings] == [
        ("new", "b.rule", "/z"),
        ("changed", "b.rule", "/y"),
        ("fixed", "a.rule", "/x"),
    ]
    assert [c.finding.location.path for c in gating(diff, Level.WARNING)] == ["/y"]  # rose
    assert [c.finding.location.path for c in gating(diff, Level.NOTE)] == ["/z"]
    assert gating(diff, None) == ()
    assert diff.in_section(Section.IDENTITY) == (
        Change(Section.IDENTITY, "/etc/machine-id", "empty", f"valid {'ab' * 16}"),
    )
    lines = render_text(diff).splitlines()
    assert f"  ~ /etc/machine-id: empty -> valid {'ab' * 16}" in lines
    assert "  note b.rule at /z: z" in lines
    assert "  - a.rule: fail (error)" in lines  # an identity rule: clone-hygiene state
    assert lines[-1] == "2 changes; 1 new finding, 1 fixed, 1 changed"
    assert "| ~ | `/etc/machine-id` | `empty` |" in render_markdown(diff)


def test_an_unknown_fact_is_not_compared() -> None:
    old = run(ids(IdState.EMPTY))
    new = run(Fact.unknown("the root file system was not found"))
    diff = compare_runs(old, new)
    assert diff.in_section(Section.IDENTITY) == ()
    assert diff.undecided == (
        "Machine identity (new): machine_id: the root file system was not found",
    )
    assert "  Machine identity (new): machine_id: the root file system was not found" in (
        render_text(diff).splitlines()
    )


def test_clone_hygiene_outcomes() -> None:
    old = result(RULES, [evaluation("a.rule", Outcome.PASS, message="ok", path="/etc/x")])
    new = result(RULES, [evaluation("a.rule", message="bad", path="/etc/x")])
    assert compare_runs(old, new).in_section(Section.CLONE_HYGIENE) == (
        Change(Section.CLONE_HYGIENE, "a.rule", "pass", "fail (error)"),
    )
