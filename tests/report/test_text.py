"""Terminal report: findings first by default; with ``--all`` the k0s-sysinfo-shaped tree.

Most layout tests render the full tree (``all_checks``); the findings view has its own tests.
"""

from __future__ import annotations

from analyzer.model import LayerInfo, Level, Notification, Outcome, TargetKind
from analyzer.report import text
from analyzer.report.common import MIN_SHARED

from .factory import (
    KERNEL_NA,
    SAMPLE_RULES,
    SHARED_REASON,
    evaluation,
    result,
    rule,
    sample,
    shared_unknowns,
    target,
)
from .golden_files import check_golden

ALL = text.TextOptions(all_checks=True)


def lines(**kwargs: bool) -> list[str]:
    return text.render(sample(**kwargs), ALL).splitlines()


def findings_view(**kwargs: bool) -> list[str]:
    return text.render(sample(**kwargs)).splitlines()


def test_golden_sample() -> None:
    check_golden("sample.txt", text.render(sample()))


def test_golden_sample_with_every_check() -> None:
    check_golden("sample-all.txt", text.render(sample(), ALL))


def test_golden_sample_in_colour() -> None:
    check_golden("sample-color.txt", text.render(sample(), text.TextOptions(color=True)))


def test_findings_view_lists_no_passing_check() -> None:
    out = findings_view()
    summary = next(n for n, line in enumerate(out) if line.startswith("2 errors, 3 warnings"))
    assert not any("pass" in line for line in out[:summary])
    assert "  Operating system: Linux (pass)" in lines()
    assert f"3 kernel rules not applicable: {KERNEL_NA}" in out
    assert out[-4:] == [
        "2 errors, 3 warnings, 1 note; 3 passed, 1 unknown, 3 not applicable; "
        "notifications: 1 error, 1 warning",
        text.PARTIAL_NOTE,
        "(not verified: 1 error-level check could not be decided)",
        text.ALL_HINT,
    ]


def test_findings_view_leads_with_the_areas_of_the_worst_findings() -> None:
    out = findings_view()
    headings = [line for line in out if line.endswith(":") and not line.startswith(" ")]
    assert headings[:4] == ["name-resolution:", "binaries:", "clone-hygiene:", "layout:"]
    assert out[4:7] == [
        "",
        "name-resolution:",
        "  localhost resolves without NSS: /etc/hosts:3 (error: localhost is not in /etc/hosts)",
    ]


def test_findings_view_keeps_subject_lines_and_undecided_checks() -> None:
    out = findings_view()
    title = out.index("  ELF interpreter exists:")
    missing = "interpreter /lib/ld-musl-x86_64.so.1 is missing"
    assert out[title + 1] == f"    /usr/bin/app (error: {missing})"
    assert "/bin/ls" not in "\n".join(out)
    assert "  Linux kernel release (unknown: no kernel image found in /boot)" in out


def test_findings_view_of_a_clean_run_says_so() -> None:
    clean = result(
        [rule("k0s.os", title="Operating system", area="os")],
        [evaluation("k0s.os", Outcome.PASS, message="Linux")],
    )
    assert text.render(clean).splitlines()[4:] == [
        "",
        text.NO_FINDINGS,
        "",
        "0 errors, 0 warnings, 0 notes; 1 passed, 0 unknown",
        text.ALL_HINT,
    ]


def test_header_names_target_profiles_and_roles() -> None:
    assert lines()[:4] == [
        "Target: docker:ghcr.io/acme/app:1.2 (container, read as docker)",
        "Image: linux/amd64, 2 layers",
        "Profiles: k0s",
        "Roles: controller, worker",
    ]


def test_finding_line_has_location_and_message() -> None:
    assert (
        "  localhost resolves without NSS: /etc/hosts:3 (error: localhost is not in /etc/hosts)"
        in lines()
    )


def test_access_path_is_shown_when_links_were_followed() -> None:
    assert (
        "  machine-id is empty: /var/lib/dbus/machine-id -> /etc/machine-id:1 "
        "(warning: /etc/machine-id holds a machine id)"
    ) in lines()


def test_child_rule_nests_under_its_parent() -> None:
    out = lines()
    parent = out.index("  Operating system: Linux (pass)")
    assert out[parent + 1] == "    Linux kernel release (unknown: no kernel image found in /boot)"
    assert out[parent - 1] == "os:"


def test_rule_with_several_subjects_lists_them_below_its_title() -> None:
    out = lines()
    title = out.index("  ELF interpreter exists:")
    assert out[title + 1 : title + 3] == [
        "    /bin/ls: /lib64/ld-linux-x86-64.so.2 (pass)",
        "    /usr/bin/app (error: interpreter /lib/ld-musl-x86_64.so.1 is missing)",
    ]


def test_not_applicable_rules_collapse_into_one_line() -> None:
    out = lines()
    assert f"3 kernel rules not applicable: {KERNEL_NA}" in out
    assert not any("CONFIG_CGROUPS" in line for line in out)
    assert "kernel:" not in out


def test_many_passing_subjects_collapse_into_a_count() -> None:
    passing = [
        evaluation("elf.interpreter", Outcome.PASS, message="ok", subject=f"/bin/t{i}")
        for i in range(text.MAX_PASS_LINES + 1)
    ]
    failing = evaluation("elf.interpreter", message="broken", path="/bin/x", subject="/bin/x")
    out = text.render(result(SAMPLE_RULES, [*passing, failing]), ALL).splitlines()
    title = out.index("  ELF interpreter exists:")
    assert out[title + 1 : title + 3] == ["    /bin/x (error: broken)", "    6 subjects (pass)"]


def test_notifications_most_severe_first() -> None:
    out = lines()
    start = out.index("Notifications:")
    assert out[start + 1] == "  error: layer 2 ends early: truncated gzip stream [archive.corrupt]"
    assert out[start + 2].startswith("  warning: /etc/big.conf is larger")
    assert out[start + 2].endswith("[capture.truncated] (at /etc/big.conf)")


def test_summary_partial_and_not_verified_notes() -> None:
    out = lines()
    assert out[-3:] == [
        "2 errors, 3 warnings, 1 note; 3 passed, 1 unknown, 3 not applicable; "
        "notifications: 1 error, 1 warning",
        "(partial: the input could not be read completely)",
        "(not verified: 1 error-level check could not be decided)",
    ]
    assert lines(complete=True)[-2:] == [
        "2 errors, 3 warnings, 1 note; 3 passed, 1 unknown, 3 not applicable; "
        "notifications: 1 error, 1 warning",
        "(not verified: 1 error-level check could not be decided)",
    ]


def test_summary_counts_warning_notifications_of_a_clean_run() -> None:
    quiet = result(
        [rule("k0s.os", title="Operating system", area="os")],
        [evaluation("k0s.os", Outcome.PASS, message="Linux")],
        notifications=[
            Notification(Level.WARNING, "disk.fstab", "disk.img: fstab UUID=x on /srv: absent"),
            Notification(Level.NOTE, "disk.unmounted", "disk.img:p1 is not mounted"),
        ],
    )
    out = text.render(quiet).splitlines()
    assert "  warning: disk.img: fstab UUID=x on /srv: absent [disk.fstab]" in out
    assert out[-2:] == [
        "0 errors, 0 warnings, 0 notes; 1 passed, 0 unknown; notifications: 1 warning",
        text.ALL_HINT,
    ]


def test_clean_run_stays_quiet() -> None:
    clean = result(
        [rule("k0s.os", title="Operating system", area="os")],
        [evaluation("k0s.os", Outcome.PASS, message="Linux")],
    )
    out = text.render(clean, ALL).splitlines()
    assert out[-1] == "0 errors, 0 warnings, 0 notes; 1 passed, 0 unknown"
    assert "Notifications:" not in out
    assert not any("error:" in line or "warning:" in line for line in out)


def test_no_colour_codes_unless_asked() -> None:
    assert "\x1b[" not in text.render(sample())
    coloured = text.render(sample(), text.TextOptions(color=True, all_checks=True))
    assert "(\x1b[31merror: localhost is not in /etc/hosts\x1b[0m)" in coloured
    assert "(\x1b[32mpass\x1b[0m)" in coloured


def test_control_characters_from_the_image_are_escaped() -> None:
    hostile = evaluation(
        "image.layout.odd-names",
        level=Level.WARNING,
        message="odd name",
        path="/tmp/\x1b[2Jevil\n",
        subject="/tmp/\x1b[2Jevil\n",
    )
    out = text.render(result(SAMPLE_RULES, [hostile]))
    assert "\x1b" not in out
    assert "  no odd file names: /tmp/\\x1b[2Jevil\\x0a (warning: odd name)" in out.splitlines()


def test_parent_cycle_still_prints_every_rule() -> None:
    cyclic = [
        rule("a.one", title="One", parent="a.two"),
        rule("a.two", title="Two", parent="a.one"),
    ]
    out = text.render(
        result(
            cyclic, [evaluation("a.one", message="bad one"), evaluation("a.two", message="bad two")]
        )
    )
    assert "One (error: bad one)" in out
    assert "Two (error: bad two)" in out


def test_rules_unknown_for_one_shared_reason_collapse_into_one_line() -> None:
    out = text.render(shared_unknowns()).splitlines()
    assert f"{MIN_SHARED} kernel rules unknown: {SHARED_REASON}" in out
    assert "  Other (unknown: config unreadable)" in out
    assert not any(line.startswith("  k.0") for line in out)


def test_header_of_a_disk_lists_its_mounted_file_systems() -> None:
    layers = (
        LayerInfo("d:part2", "part2 (ext4, UUID=r) on /", mountpoint="/"),
        LayerInfo("d:part1", "part1 (ext4, UUID=b) on /boot", mountpoint="/boot"),
    )
    disk = target(
        "golden.qcow2",
        source="disk",
        kind=TargetKind.VM,
        layers=layers,
        properties={"format": "qcow2", "partition_table": "gpt"},
    )
    out = text.render(result(SAMPLE_RULES, [], target_info=disk)).splitlines()
    assert out[:4] == [
        "Target: golden.qcow2 (vm, read as disk)",
        "Disk: qcow2, gpt",
        "  part2 (ext4, UUID=r) on /",
        "  part1 (ext4, UUID=b) on /boot",
    ]
