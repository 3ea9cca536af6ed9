"""Where a sweep runs: a pool of local processes, or the executor of a Dask cluster.

:func:`sim.experiments.sweep.run_sweep` takes any :class:`concurrent.futures.Executor`: a
:class:`~concurrent.futures.ProcessPoolExecutor` locally (``--workers N``), or the executor of a
Dask ``distributed.Client`` (``--scheduler tcp://host:port``, or ``--dask-local N`` for a local
cluster).

Workers die with their driver: a local worker sets Linux's parent-death signal and watches the
driver's process id, so ``kill -9`` of ``massengage sweep`` leaves no worker running (nor, once
the workers are gone, the fork server and the resource tracker, which exit when their last
client does). A Dask cluster's scheduler is unauthenticated: any process that can reach its
port can run code on its workers. ``--dask-local`` binds it to 127.0.0.1 and serves no HTTP
routes (no dashboard, no info pages); on a shared machine, prefer ``--workers``.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
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
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise UsageError(f"Dask is not installed: {exc}") from None
        with contextlib.ExitStack() as stack:
            if args.dask_local:
                # No HTTP routes (dashboard, /info, /health) on the scheduler or the workers.
                stack.enter_context(
                    dask.config.set(
                        {
                            "distributed.scheduler.http.routes": [],
                            "distributed.worker.http.routes": [],
                        }
                    )
                )
                # Workers start with Ctrl-C ignored (inherited through exec): the driver alone
                # handles it, and the workers print no tracebacks.
                with _sigint_ignored():
                    cluster = stack.enter_context(
                        LocalCluster(
                            n_workers=args.dask_local,
                            threads_per_worker=1,
                            processes=True,
                            host="127.0.0.1",
                            dashboard_address=None,
                            silence_logs=50,
                        )
                    )
                client = stack.enter_context(Client(cluster))
                label = f"Dask local cluster, {args.dask_local} workers"
            else:
                try:
                    client = stack.enter_context(Client(args.scheduler, timeout="20s"))
                except (OSError, TimeoutError, ValueError, TypeError) as exc:
                    reason = " ".join(str(exc).split())[:160]
                    raise UsageError(
                        f"--scheduler: cannot reach the Dask scheduler at {args.scheduler!r}: "
                        f"{reason}"
                    ) from None
                label = f"Dask cluster at {args.scheduler}"
            workers = max(1, sum(client.nthreads().values()))
            yield client.get_executor(pure=False), workers, label
        return
    workers = args.workers or len(os.sched_getaffinity(0))
    with local_executor(workers) as executor:
        yield executor, workers, f"{workers} local process{'es' if workers > 1 else ''}"


# The modules a worker needs: the work of a batch (run_batch imports the runner when it runs)
# and this one, for the initializer (the fork server imports them once: 1.2-1.6 s, Mesa 0.5 s).
WORKER_MODULES = ("sim.experiments.batch", "sim.experiments.executors", "sim.model.runner")


def local_executor(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes, forked from a server that has imported ``sim``.

    The fork server (started once per process, then reused) pays the import once; forking the
    driver itself is avoided because it already runs threads (numpy's BLAS, a Dask client, a
    progress bar), and forking a multi-threaded process can deadlock the child.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_MODULES))
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(),),
    )


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


DRIVER_POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1


def start_worker(driver: int) -> None:
    """Set up a local worker: Ctrl-C ignored, and death with the driver (process ``driver``).

    Ctrl-C is handled by the driver, which cancels the work; workers should not print
    tracebacks. A worker's parent is the fork server, not the driver, so besides the
    parent-death signal (the fork server dying kills the worker) a daemon thread polls the
    driver and ends the worker at once when it is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    threading.Thread(target=_watch_driver, args=(driver,), daemon=True).start()


def _watch_driver(driver: int) -> None:
    while _alive(driver):
        time.sleep(DRIVER_POLL_SECONDS)
    os._exit(1)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    if os.path.exists("/proc/self/stat"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        except (OSError, IndexError):
            return True
        return state not in (b"Z", b"X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
