"""The ``imgaudit`` command: parse arguments, call :func:`analyze`, write a report, exit.

Exit codes: 0 nothing at or above ``--fail-on``; 1 something is; 2 usage error or unreadable
input (one line on stderr, no traceback); 3 with ``--strict`` when the analysis was incomplete.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from analyzer.errors import ImgauditError
from analyzer.model import Level, RunResult
from analyzer.pipeline import DEFAULT_PROFILES, TOOL_VERSION, Config, analyze, load_all_rules
from analyzer.policy.engine import ROLE_CHOICES
from analyzer.report import FORMATS, ReportOptions

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3
FAIL_ON = {"error": Level.ERROR, "warning": Level.WARNING, "note": Level.NOTE, "none": None}


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
        "target", help="path, '-' for an archive on stdin, or scheme:ref (dir:, tar:, ...)"
    )
    scan.add_argument(
        "--profile",
        action="append",
        help=f"rule profile (repeatable; default {DEFAULT_PROFILES[0]})",
    )
    scan.add_argument("--role", default="controller+worker", choices=sorted(ROLE_CHOICES))
    scan.add_argument(
        "--rules", action="append", default=[], metavar="PATH", help="extra rule pack"
    )
    scan.add_argument("--format", default="text", choices=sorted(FORMATS))
    scan.add_argument(
        "--output", "-o", metavar="FILE", help="write the report here (default stdout)"
    )
    scan.add_argument("--fail-on", default="error", choices=list(FAIL_ON))
    scan.add_argument(
        "--strict", action="store_true", help="exit 3 when the analysis was incomplete"
    )
    scan.add_argument("--platform", help="os/arch[/variant] of a multi-platform image")
    scan.add_argument(
        "--all-binaries", action="store_true", help="check every ELF file, not only PATH"
    )
    scan.add_argument(
        "--backing-file",
        action="append",
        default=[],
        metavar="PATH",
        help="allow a disk image to use this host file as a backing file or extent (repeatable)",
    )
    scan.add_argument("--sarif-category", help="SARIF automationDetails.id category")
    scan.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    rules = sub.add_parser("rules", help="list or show the bundled rules")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    listing = rules_sub.add_parser("list", help="every rule with id, level, profiles")
    listing.add_argument("--rules", action="append", default=[], metavar="PATH")
    show = rules_sub.add_parser("show", help="what a rule checks, why, how to fix")
    show.add_argument("rule_id")
    show.add_argument("--rules", action="append", default=[], metavar="PATH")
    return parser


def exit_code(result: RunResult, fail_on: str, strict: bool) -> int:
    """Map a result to the exit code ``--fail-on`` and ``--strict`` ask for."""
    threshold = FAIL_ON[fail_on]
    if threshold is not None and any(f.level.rank >= threshold.rank for f in result.findings):
        return EXIT_FINDINGS
    if strict and not result.complete:
        return EXIT_INCOMPLETE
    return EXIT_OK


def _use_color(choice: str, output: str | None) -> bool:
    if choice != "auto":
        return choice == "always"
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _scan(args: argparse.Namespace) -> int:
    config = Config(
        target=args.target,
        profiles=tuple(args.profile or DEFAULT_PROFILES),
        role=args.role,
        rule_files=tuple(args.rules),
        platform=args.platform,
        all_binaries=args.all_binaries,
        backing_files=tuple(args.backing_file),
    )
    result = analyze(config)
    options = ReportOptions(
        color=args.format == "text" and _use_color(args.color, args.output),
        sarif_category=args.sarif_category,
    )
    text = FORMATS[args.format](result, options)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return exit_code(result, args.fail_on, args.strict)


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
