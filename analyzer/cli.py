"""The ``imgaudit`` command: parse arguments, call :func:`analyze`, write a report, exit.

Exit codes: 0 nothing at or above ``--fail-on``; 1 something is; 2 usage error or unreadable
input (one line on stderr, no traceback); 3 with ``--strict`` when the analysis was incomplete:
part of the input could not be read, or an error- or warning-level check could not be decided.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from analyzer.errors import ImgauditError, UsageError
from analyzer.model import Level, RunResult
from analyzer.pipeline import DEFAULT_PROFILES, Config, analyze, load_all_rules
from analyzer.policy.engine import ROLE_CHOICES
from analyzer.progress import Progress, Stage
from analyzer.report import FORMATS, ReportOptions
from analyzer.report.text import safe
from analyzer.triage import DEFAULT_SUPPRESSIONS, Triage, gating
from analyzer.version import TOOL_VERSION

if TYPE_CHECKING:
    from analyzer.fleet.model import FleetResult

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3
#: Exit codes from least to most severe, to combine the targets of a fleet scan.
SEVERITY_ORDER = (EXIT_OK, EXIT_INCOMPLETE, EXIT_FINDINGS, EXIT_ERROR)
FAIL_ON = {"error": Level.ERROR, "warning": Level.WARNING, "note": Level.NOTE, "none": None}
#: Seconds a scan runs before its progress display appears.
PROGRESS_DELAY = 1.0
#: Seconds between two redraws of the progress display within one stage or layer.
PROGRESS_INTERVAL = 0.1


def _report_spec(value: str) -> tuple[str, str]:
    """``FORMAT=FILE`` of ``--report``."""
    name, sep, path = value.partition("=")
    if not sep or name not in FORMATS or not path:
        known = ", ".join(FORMATS)
        raise argparse.ArgumentTypeError(f"{value!r}: expected FORMAT=FILE, FORMAT one of {known}")
    return name, path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgaudit",
        description="Offline checks of VM disks, container images and rootfs trees.",
    )
    parser.add_argument("--version", action="version", version=f"imgaudit {TOOL_VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    scan = sub.add_parser(
        "scan", help="analyze a disk image, container image, archive or directory"
    )
    scan.add_argument(
        "target",
        nargs="*",
        help="path, '-' for an archive on stdin, or scheme:ref (dir:, tar:, ...); several "
        "make a fleet scan, as does packer-manifest:FILE",
    )
    _fleet_arguments(scan)
    _analysis_arguments(scan)
    scan.add_argument("--format", default="text", choices=sorted(FORMATS))
    scan.add_argument(
        "--output", "-o", metavar="FILE", help="write the report here (default stdout)"
    )
    scan.add_argument("--fail-on", default="error", choices=list(FAIL_ON))
    _triage_arguments(scan)
    scan.add_argument(
        "--strict",
        action="store_true",
        help="exit 3 when the analysis was incomplete: input not read completely, or an error-"
        " or warning-level check unknown",
    )
    scan.add_argument(
        "--report",
        action="append",
        default=[],
        type=_report_spec,
        metavar="FORMAT=FILE",
        help="also write the report in FORMAT to FILE, from the same scan (repeatable)",
    )
    scan.add_argument("--sarif-category", help="SARIF automationDetails.id category")
    build = scan.add_argument_group("build files (findings on the line that caused them)")
    build.add_argument(
        "--dockerfile", metavar="PATH", help="the Dockerfile the image was built from"
    )
    build.add_argument(
        "--packer-template",
        metavar="PATH",
        help="the Packer template (.pkr.hcl or JSON) of a VM image",
    )
    build.add_argument(
        "--source-root", metavar="DIR", help="build file URIs are relative to this (default: .)"
    )
    scan.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    scan.add_argument(
        "--all", action="store_true", help="text report: every check, passing ones too"
    )
    scan.add_argument("--quiet", "-q", action="store_true", help="no progress display on stderr")
    _diff_parser(sub)
    rules = sub.add_parser("rules", help="list or show the bundled rules")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    listing = rules_sub.add_parser("list", help="every rule with id, level, profiles")
    listing.add_argument("--rules", action="append", default=[], metavar="PATH")
    show = rules_sub.add_parser("show", help="what a rule checks, why, how to fix")
    show.add_argument("rule_id")
    show.add_argument("--rules", action="append", default=[], metavar="PATH")
    return parser


def _analysis_arguments(parser: argparse.ArgumentParser) -> None:
    """What selects the rules and how the target is read (``scan`` and ``diff``)."""
    parser.add_argument(
        "--profile",
        action="append",
        help=f"rule profile (repeatable; default {DEFAULT_PROFILES[0]})",
    )
    parser.add_argument("--role", default="controller+worker", choices=sorted(ROLE_CHOICES))
    parser.add_argument(
        "--rules", action="append", default=[], metavar="PATH", help="extra rule pack"
    )
    parser.add_argument("--platform", help="os/arch[/variant] of a multi-platform image")
    parser.add_argument(
        "--all-binaries", action="store_true", help="check every ELF file, not only PATH"
    )
    parser.add_argument(
        "--backing-file",
        action="append",
        default=[],
        metavar="PATH",
        help="allow a disk image to use this host file as a backing file or extent (repeatable)",
    )


def _config(args: argparse.Namespace, target: str) -> Config:
    return Config(
        target=target,
        profiles=tuple(args.profile or DEFAULT_PROFILES),
        role=args.role,
        rule_files=tuple(args.rules),
        platform=args.platform,
        all_binaries=args.all_binaries,
        backing_files=tuple(args.backing_file),
    )


def _diff_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = sub.add_parser(
        "diff",
        help="compare two artefacts: kernel, modules, executables, identity, ELF files, findings",
    )
    diff.add_argument("old", help="the earlier artefact (any target scan reads)")
    diff.add_argument("new", help="the later artefact")
    _analysis_arguments(diff)
    diff.add_argument("--format", default="text", choices=("text", "markdown", "json"))
    diff.add_argument(
        "--output", "-o", metavar="FILE", help="write the report here (default stdout)"
    )
    diff.add_argument(
        "--fail-on",
        default="error",
        choices=list(FAIL_ON),
        help="exit 1 when NEW has a new finding at or above this level",
    )
    diff.add_argument(
        "--config", metavar="PATH", help=f"suppression file (default: {DEFAULT_SUPPRESSIONS})"
    )
    diff.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def _diff(args: argparse.Namespace) -> int:
    from analyzer.diff import compare_runs
    from analyzer.diff import gating as diff_gating
    from analyzer.diff.render import DIFF_FORMATS

    triage = Triage.load(None, args.config)
    today = datetime.date.today()
    old, new = (
        triage.apply(_analyze(_config(args, target), args.quiet), None, today)
        for target in (args.old, args.new)
    )
    diff = compare_runs(old, new)
    _write(DIFF_FORMATS[args.format](diff), args.output)
    return EXIT_FINDINGS if diff_gating(diff, FAIL_ON[args.fail_on]) else EXIT_OK


def _triage_arguments(scan: argparse.ArgumentParser) -> None:
    group = scan.add_argument_group("baselines and suppressions")
    group.add_argument(
        "--baseline",
        metavar="SARIF",
        help="mark findings new/unchanged/updated/absent against an earlier SARIF report",
    )
    group.add_argument(
        "--fail-on-baseline",
        action="store_true",
        help="--fail-on counts unchanged findings too (by default only new and updated ones)",
    )
    group.add_argument(
        "--config",
        metavar="PATH",
        help=f"suppression file (default: {DEFAULT_SUPPRESSIONS} in the current directory)",
    )


def exit_code(result: RunResult, fail_on: str, strict: bool, include_baseline: bool = False) -> int:
    """Map a result to the exit code ``--fail-on`` and ``--strict`` ask for.

    Suppressed findings never count; with a baseline, only new and updated findings count
    unless ``include_baseline``.
    """
    threshold = FAIL_ON[fail_on]
    counted = gating(result, include_baseline)
    if threshold is not None and any(f.level.rank >= threshold.rank for f in counted):
        return EXIT_FINDINGS
    if strict and (not result.complete or result.unverified):
        return EXIT_INCOMPLETE
    return EXIT_OK


def fleet_exit_code(fleet: FleetResult, fail_on: str, strict: bool) -> int:
    """The worst exit code over a fleet's targets; a target not scanned counts as exit 2."""
    codes = [
        EXIT_ERROR if r.result is None else exit_code(r.result, fail_on, strict)
        for r in fleet.targets
    ]
    return max(codes, key=SEVERITY_ORDER.index, default=EXIT_OK)


def _use_color(choice: str, output: str | None) -> bool:
    if choice != "auto":
        return choice == "always"
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _fleet_arguments(scan: argparse.ArgumentParser) -> None:
    fleet = scan.add_argument_group("fleet scans (several targets)")
    fleet.add_argument(
        "--targets-from",
        action="append",
        default=[],
        metavar="FILE",
        help="targets one a line (# comments), a Packer manifest or an OCI layout",
    )
    fleet.add_argument(
        "--scheduler", metavar="ADDRESS", help="existing Dask scheduler (tcp://HOST:8786)"
    )
    fleet.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: cores)"
    )
    fleet.add_argument(
        "--worker-memory", metavar="SIZE", help="memory limit per local worker (e.g. 2GiB)"
    )


def _is_fleet(args: argparse.Namespace) -> bool:
    from analyzer.fleet.targets import PACKER_SCHEME

    return bool(
        len(args.target) != 1
        or args.targets_from
        or args.scheduler
        or args.target[0].startswith(PACKER_SCHEME)
    )


class _ProgressDisplay:
    """Draws a scan's progress on stderr once it has run :data:`PROGRESS_DELAY` seconds.

    One line, cleared when the scan ends, trimmed to the terminal's width from the right:
    time spent, entries and file data read so far, then the stage or the layer/partition
    being read. Redrawn at most every :data:`PROGRESS_INTERVAL` seconds, and at each change
    of stage or layer.
    """

    def __init__(self) -> None:
        from tqdm import tqdm  # loaded only when a terminal shows the display

        self._bar = tqdm(
            total=None,
            delay=PROGRESS_DELAY,
            mininterval=0,
            miniters=0,
            leave=False,
            file=sys.stderr,
            bar_format="[{elapsed}] {desc}",
        )
        self._label = ""
        self._drawn = 0.0

    def __call__(self, progress: Progress) -> None:
        """Show one snapshot (or skip it, when the last one is too recent to replace)."""
        if progress.stage is Stage.READING:
            label = f"reading {safe(progress.layer)}"
        else:
            label = progress.stage.value
        now = time.monotonic()
        if label == self._label and now - self._drawn < PROGRESS_INTERVAL:
            return
        self._label, self._drawn = label, now
        size = self._bar.format_sizeof(progress.file_bytes, "B")
        self._bar.set_description_str(
            f"{progress.entries:,} entries, {size} of files; {label}", refresh=False
        )
        self._bar.update(0)

    def close(self) -> None:
        """Clear the line (when it was drawn at all)."""
        self._bar.close()


def _analyze(config: Config, quiet: bool) -> RunResult:
    """:func:`analyze`, with a progress display when stderr is a terminal and not ``quiet``."""
    if quiet or not sys.stderr.isatty():
        return analyze(config)
    display = _ProgressDisplay()
    try:
        return analyze(dataclasses.replace(config, progress=display))
    finally:
        display.close()


def _scan(args: argparse.Namespace) -> int:
    if _is_fleet(args):
        if args.dockerfile or args.packer_template:
            raise UsageError("--dockerfile and --packer-template take a single target")
        return _scan_fleet(args)
    config = _config(args, args.target[0])
    triage = Triage.load(args.baseline, args.config)
    config = dataclasses.replace(
        config,
        dockerfile=args.dockerfile,
        packer_template=args.packer_template,
        source_root=args.source_root,
    )
    result = triage.apply(_analyze(config, args.quiet), args.sarif_category, datetime.date.today())
    for name, path in args.report:
        _write(FORMATS[name](result, dataclasses.replace(_options(args), color=False)), path)
    _write(FORMATS[args.format](result, _options(args)), args.output)
    return exit_code(result, args.fail_on, args.strict, args.fail_on_baseline)


def _options(args: argparse.Namespace) -> ReportOptions:
    return ReportOptions(
        color=args.format == "text" and _use_color(args.color, args.output),
        sarif_category=args.sarif_category,
        all_checks=args.all,
    )


def _write(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


def _scan_fleet(args: argparse.Namespace) -> int:
    from analyzer.fleet.execute import Cluster, scan_fleet
    from analyzer.fleet.model import TargetReport, row
    from analyzer.fleet.report import FLEET_FORMATS
    from analyzer.fleet.report.sarif import GITHUB_MAX_RUNS
    from analyzer.fleet.targets import expand
    from analyzer.report.common import plural

    base = Config(
        target="",
        profiles=tuple(args.profile or DEFAULT_PROFILES),
        role=args.role,
        rule_files=tuple(args.rules),
        platform=args.platform,
        all_binaries=args.all_binaries,
    )
    if args.baseline:
        raise UsageError("--baseline compares the scan of one target, not of a fleet")
    triage = Triage.load(None, args.config)
    targets = expand(args.target, args.targets_from)
    cluster = Cluster(args.scheduler, args.workers, args.worker_memory)
    todo = sum(p.error is None for p in targets.planned)

    def started(where: str) -> None:
        if not args.quiet:
            sys.stderr.write(f"imgaudit: scanning {plural(todo, 'target')} {where}\n")

    def progress(done: int, total: int, report: TargetReport) -> None:
        if args.quiet:
            return
        entry = row(report)
        state = (
            f"failed: {report.error}"
            if report.error is not None
            else f"{plural(entry.error, 'error')}, {plural(entry.warning, 'warning')}, "
            f"{plural(entry.note, 'note')}, {entry.unknown} unknown"
            + ("" if entry.complete else " (partial)")
        )
        took = f" ({report.seconds:.1f} s)" if report.seconds else ""
        sys.stderr.write(f"imgaudit: [{done}/{total}] {report.reference}: {state}{took}\n")

    fleet = scan_fleet(base, targets, cluster, progress, started)
    if triage.suppressions:
        today = datetime.date.today()
        fleet = dataclasses.replace(
            fleet,
            targets=tuple(
                dataclasses.replace(t, result=triage.apply(t.result, None, today))
                if t.result is not None
                else t
                for t in fleet.targets
            ),
        )
    if args.format == "sarif" and len(fleet.targets) > GITHUB_MAX_RUNS:
        sys.stderr.write(
            f"imgaudit: warning: {len(fleet.targets)} SARIF runs; GitHub code scanning takes "
            f"at most {GITHUB_MAX_RUNS} per upload (split the target list)\n"
        )
    for name, path in args.report:
        _write(FLEET_FORMATS[name](fleet, dataclasses.replace(_options(args), color=False)), path)
    _write(FLEET_FORMATS[args.format](fleet, _options(args)), args.output)
    return fleet_exit_code(fleet, args.fail_on, args.strict)


def _rules(args: argparse.Namespace) -> int:
    rules = load_all_rules(args.rules)
    if args.rules_command == "list":
        width = max((len(rule.id) for rule in rules), default=0)
        for rule in rules:
            profiles = ",".join(rule.info.profiles)
            sys.stdout.write(
                f"{rule.id:<{width}}  {rule.level.value:<7}  {profiles:<20}  {rule.info.title}\n"
            )
        return EXIT_OK
    matches = [rule for rule in rules if rule.id == args.rule_id]
    if not matches:
        sys.stderr.write(f"imgaudit: no rule {args.rule_id!r} (see 'imgaudit rules list')\n")
        return EXIT_ERROR
    rule = matches[0]
    info = rule.info
    sys.stdout.write(
        f"{info.id}: {info.title}\n"
        f"level: {info.level.value}   profiles: {', '.join(info.profiles)}   "
        f"roles: {', '.join(info.roles)}   targets: {', '.join(t.value for t in rule.targets)}\n"
        f"defined at: {rule.source}\n\n{info.description}\n\n{info.help_markdown.rstrip()}\n"
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``imgaudit`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "scan":
            return _scan(args)
        if args.command == "diff":
            return _diff(args)
        return _rules(args)
    except ImgauditError as exc:
        sys.stderr.write(f"imgaudit: {exc}\n")
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (``imgaudit rules list | head``): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except OSError as exc:
        sys.stderr.write(f"imgaudit: {exc.filename or ''}: {exc.strerror}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("imgaudit: interrupted\n")
        return 130
