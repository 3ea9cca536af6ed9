"""Where a sweep runs: a pool of local processes, or the executor of a Dask cluster.

:func:`sim.experiments.sweep.run_sweep` takes any :class:`concurrent.futures.Executor`: a
:class:`~concurrent.futures.ProcessPoolExecutor` locally (``--workers N``), or the executor of a
Dask ``distributed.Client`` (``--scheduler tcp://host:port``, or ``--dask-local N`` for a local
cluster).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Executor
from concurrent.futures.process import ProcessPoolExecutor

from sim.commandline import UsageError

__all__ = ["local_executor", "open_executor"]


@contextlib.contextmanager
def open_executor(args: argparse.Namespace) -> Iterator[tuple[Executor, int, str]]:
    """The executor the options ask for, with its worker count and a label."""
    if args.scheduler or args.dask_local:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise UsageError(f"Dask is not installed: {exc}") from None
        with contextlib.ExitStack() as stack:
            if args.dask_local:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=args.dask_local,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=40,
                    )
                )
                client = stack.enter_context(Client(cluster))
                label = f"Dask local cluster, {args.dask_local} workers"
            else:
                try:
                    client = stack.enter_context(Client(args.scheduler, timeout="20s"))
                except (OSError, TimeoutError) as exc:
                    raise UsageError(
                        f"--scheduler: cannot reach the Dask scheduler at {args.scheduler}: {exc}"
                    ) from None
                label = f"Dask cluster at {args.scheduler}"
            workers = max(1, sum(client.nthreads().values()))
            yield client.get_executor(pure=False), workers, label
        return
    workers = args.workers or len(os.sched_getaffinity(0))
    with local_executor(workers) as executor:
        yield executor, workers, f"{workers} local process{'es' if workers > 1 else ''}"


def local_executor(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes, forked from a server that has imported ``sim``.

    The fork server (started once per process, then reused) pays the import once; forking the
    driver itself is avoided because it already runs threads (numpy's BLAS, a Dask client, a
    progress bar), and forking a multi-threaded process can deadlock the child.
    """
    context = multiprocessing.get_context("forkserver")
    # The modules a worker needs: the work of a batch (run_batch imports the runner when it
    # runs) and this one, for the initializer.
    context.set_forkserver_preload(
        ["sim.experiments.batch", "sim.experiments.executors", "sim.model.runner"]
    )
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_sigint)


def _ignore_sigint() -> None:
    # Ctrl-C is handled by the driver, which cancels the work; workers should not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
