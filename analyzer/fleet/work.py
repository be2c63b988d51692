"""The unit of work of a fleet scan: one target in, one small picklable report out.

:func:`scan_target` runs where the target is read (in this process, or on a Dask worker).
It never raises for a bad target: every failure becomes the target's own
:class:`~analyzer.fleet.model.TargetReport` with a one-line reason. Rule packs are parsed
once per process (:func:`~analyzer.pipeline.load_all_rules` keeps them), so a worker that
scans many targets parses them once.

Results travel back to the caller, so :func:`portable` leaves the in-memory tree behind
(the ``files`` fact is a view over it); reports of the portable result are byte-identical.
"""

from __future__ import annotations

import dataclasses
import time

from analyzer.errors import ImgauditError
from analyzer.facts import FILES
from analyzer.facts.files import NO_FILES
from analyzer.fleet.model import TargetReport
from analyzer.model import Fact, FactStore, RunResult
from analyzer.pipeline import Config, analyze


def portable(result: RunResult) -> RunResult:
    """``result`` without the views over the in-memory tree, so that it pickles small.

    The ``files`` index (a view over the whole tree) is replaced by a detached one, which
    renders the same; every other fact is kept.
    """
    facts = FactStore()
    facts.update(result.facts)
    index = result.facts.get(FILES)
    if index.is_present:
        facts.put(FILES, Fact(index.state, NO_FILES, index.location, index.reason))
    return dataclasses.replace(result, facts=facts)


def scan_target(config: Config) -> TargetReport:
    """Analyze ``config.target``; a failure is the report's ``error``, never an exception."""
    start = time.perf_counter()
    try:
        result = analyze(config)
    except ImgauditError as exc:
        return _failed(config.target, str(exc), start)
    except OSError as exc:
        return _failed(config.target, f"{exc.filename or config.target}: {exc.strerror}", start)
    except MemoryError:
        return _failed(config.target, "out of memory while scanning", start)
    except Exception as exc:  # noqa: BLE001 - one target must never stop the others
        return _failed(config.target, f"internal error: {exc!r}", start)
    return TargetReport(config.target, portable(result), None, time.perf_counter() - start)


def _failed(reference: str, message: str, start: float) -> TargetReport:
    return TargetReport(reference, None, message, time.perf_counter() - start)
