"""Running a fleet: in this process, on an embedded Dask ``LocalCluster``, or on a scheduler.

:func:`scan_fleet` is the entry point. One target to scan (and no scheduler asked for) runs
here, without importing Dask: start-up time matters for the common case. Several targets go
to Dask (``dask.distributed``): by default a ``LocalCluster`` of one
single-threaded worker process per core on loopback, each with a memory limit (Dask's nanny
restarts a worker past it, and that target is reported as failed, the others go on); with
``Cluster.scheduler`` the same tasks go to an existing cluster, whose workers must reach the
targets (shared paths, ``docker:`` on each worker's daemon) and have imgaudit installed.

Progress is reported through a callback, once per finished target, in the caller's thread.
Interrupting (``KeyboardInterrupt``) cancels what is queued and shuts the embedded cluster
down before the exception goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing import resource_tracker
from typing import TYPE_CHECKING

from analyzer.errors import UsageError
from analyzer.fleet.model import FleetResult, TargetReport
from analyzer.fleet.targets import TargetList
from analyzer.fleet.work import scan_target
from analyzer.pipeline import Config, select_rules
from analyzer.version import TOOL_VERSION

if TYPE_CHECKING:
    from distributed import Client

#: Called after each target: (targets finished, targets to scan, the target's report).
Progress = Callable[[int, int, TargetReport], None]
#: Task retries after a worker died running it (0: the target that killed it is reported).
ALLOWED_FAILURES = 0


@dataclass(frozen=True, slots=True)
class Cluster:
    """Where several targets are scanned.

    ``scheduler``: address of an existing Dask scheduler (``tcp://host:8786``); ``None`` starts
    an embedded ``LocalCluster`` with ``workers`` processes (default: the usable cores) of
    ``memory_limit`` each (bytes or a Dask size such as ``"2GiB"``; default: Dask's share of
    the machine's memory per worker).
    """

    scheduler: str | None = None
    workers: int | None = None
    memory_limit: str | None = None


def usable_cores() -> int:
    """Cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def scan_fleet(
    base: Config,
    targets: TargetList,
    cluster: Cluster | None = None,
    progress: Progress | None = None,
    started: Callable[[str], None] | None = None,
) -> FleetResult:
    """Scan every planned target with ``base``'s options; one report per target, in order.

    A bad role, profile or rule pack in ``base`` raises before anything is scanned, and so
    does a scheduler that does not answer (within Dask's ``distributed.comm.timeouts.connect``).
    ``started`` is called once the workers are ready, with where the targets run, in words.
    """
    select_rules(base)
    cluster = cluster or Cluster()
    reports: list[TargetReport | None] = [
        None if p.error is None else TargetReport(p.reference, error=p.error)
        for p in targets.planned
    ]
    todo = {
        index: dataclasses.replace(base, target=p.reference)
        for index, p in enumerate(targets.planned)
        if p.error is None
    }
    done = 0

    def finished(index: int, report: TargetReport) -> None:
        nonlocal done
        reports[index] = report
        done += 1
        if progress is not None:
            progress(done, len(todo), report)

    def ready(where: str) -> None:
        if started is not None:
            started(where)

    if cluster.scheduler is None and len(todo) <= 1:
        ready("in this process")
        _in_process(todo, finished)
    else:
        _on_dask(todo, cluster, finished, ready)
    complete = tuple(r for r in reports if r is not None)
    return FleetResult(complete, TOOL_VERSION, targets.notifications)


def _in_process(todo: dict[int, Config], finished: Callable[[int, TargetReport], None]) -> None:
    for index, config in todo.items():
        finished(index, scan_target(config))


def _on_dask(
    todo: dict[int, Config],
    cluster: Cluster,
    finished: Callable[[int, TargetReport], None],
    ready: Callable[[str], None],
) -> None:
    from distributed import as_completed

    with ExitStack() as stack:
        client = _client(stack, cluster, len(todo))
        if cluster.scheduler is not None:
            ready(f"on the Dask scheduler {cluster.scheduler}")
        else:
            workers = len(client.scheduler_info(n_workers=-1)["workers"])
            ready(f"on a local Dask cluster of {workers} worker processes")
        futures = {
            client.submit(scan_target, config, pure=False, key=f"imgaudit-{index}"): index
            for index, config in todo.items()
        }
        try:
            for future in as_completed(futures):
                index = futures[future]
                try:
                    report = future.result()
                except Exception as exc:  # noqa: BLE001 - the worker, not the target, failed
                    report = TargetReport(todo[index].target, error=_worker_failure(exc))
                finished(index, report)
        except BaseException:
            client.cancel(list(futures), force=True)
            raise


def _client(stack: ExitStack, cluster: Cluster, tasks: int) -> Client:
    import dask
    from distributed import Client, LocalCluster

    if cluster.scheduler is not None:
        try:
            remote = Client(cluster.scheduler)
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"{cluster.scheduler}: no Dask scheduler answers: {exc}") from exc
        stack.callback(remote.close)
        return remote
    workers = max(1, min(cluster.workers or usable_cores(), tasks))
    stack.enter_context(
        dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES})
    )
    with _workers_ignore_sigint():
        local = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # the scheduler's HTTP endpoint: loopback, a free port (never a fixed 8787)
            dashboard_address="127.0.0.1:0",
            memory_limit=cluster.memory_limit or "auto",
            silence_logs=logging.CRITICAL,
        )
        stack.callback(local.close)
    client = Client(local)
    stack.callback(client.close)
    return client


@contextmanager
def _workers_ignore_sigint() -> Iterator[None]:
    """Start worker processes that ignore SIGINT, and defer this process's own until the end.

    A Ctrl-C at the terminal goes to the whole process group; this process alone should act
    on it (cancel, then shut the cluster down), not each worker with a traceback. An ignored
    signal stays ignored across ``exec``, so the workers spawned meanwhile inherit it. Here
    SIGINT is blocked as well: Linux keeps a blocked signal pending even while it is ignored,
    so an interrupt during start-up is raised once the cluster can be closed cleanly.
    multiprocessing's resource tracker is started first: starting it unblocks SIGINT in the
    calling thread, which would drop a pending interrupt.
    """
    resource_tracker.ensure_running()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _worker_failure(exc: BaseException) -> str:
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        return (
            "the worker scanning it died (past its memory limit, or killed); "
            "the other targets went on"
        )
    return f"worker error: {exc!r}"


__all__: Sequence[str] = ("Cluster", "Progress", "scan_fleet", "usable_cores")
