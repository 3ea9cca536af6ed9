"""ABC-SMC with pyabc: the samplers, the generation loop, resumption and progress.

Approximate Bayesian computation by sequential Monte Carlo (Toni et al. 2009, *Approximate
Bayesian computation scheme for parameter inference and model selection in dynamical systems*,
J. R. Soc. Interface 6; Del Moral, Doucet and Jasra 2012) through pyabc (Klinger, Rickert and
Hasenauer 2018; Schaelte et al. 2022, *pyABC: Efficient and robust easy-to-use
approximate Bayesian computation*, JOSS 7). pyabc's defaults are kept: a multivariate normal
perturbation kernel fitted to the previous generation, epsilon the weighted median of the
previous generation's distances, a constant population size.

pyabc writes each finished generation to its SQLite database (one transaction), so a run killed
at any point keeps every finished generation; :func:`run_abc` with ``resume_id`` loads the
database (``ABCSMC.load``) and goes on from the next generation.

Reproducibility: each simulation's seed comes from the master seed and its parameter values
(:func:`sim.calibration.statistics.parameter_seed`). The proposals are drawn from numpy's global
generator in the process that samples them; the driver reseeds it before each generation from
``SeedSequence(seed, spawn_key=(generation,))``. With one worker (pyabc's single-core sampler)
a calibration is therefore the same, particle for particle, on every rerun and across a resume.
pyabc's multicore and Dask samplers reseed each worker from the operating system and accept
whichever particles finish first, so with several workers the posterior is the same in
distribution, not in its particles.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.problem import Calibration
from sim.calibration.spec import PriorKind
from sim.commandline import UsageError
from sim.experiments.design import run_seed

__all__ = [
    "AbcRun",
    "SamplerChoice",
    "generations_table",
    "open_sampler",
    "posterior_table",
    "run_abc",
    "stop_reason",
]

# Spawn keys of the driver's generator reseeding, apart from the generation numbers.
_INIT_KEY = 1_000_000


@dataclass
class SamplerChoice:
    """The pyabc sampler, a label for people, and an executor for the predictive runs."""

    sampler: Any
    label: str
    executor: Any  # concurrent.futures.Executor, or None: run in this process
    driver: int | None  # see Simulator.driver
    workers: int


@contextlib.contextmanager
def open_sampler(workers: int | None, scheduler: str | None) -> Iterator[SamplerChoice]:
    """pyabc's multicore sampler (``workers`` local processes) or its Dask sampler."""
    import os

    from pyabc.sampler import (
        DaskDistributedSampler,
        MulticoreEvalParallelSampler,
        SingleCoreSampler,
    )

    logging.getLogger("ABC").setLevel(logging.WARNING)  # after pyabc's import sets it

    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            reason = " ".join(str(exc).split())[:160]
            raise UsageError(
                f"--scheduler: cannot reach the Dask scheduler at {scheduler!r}: {reason}"
            ) from None
        try:
            cores = max(1, sum(client.nthreads().values()))
            sampler = DaskDistributedSampler(dask_client=client, client_max_jobs=cores)
            yield SamplerChoice(
                sampler, f"Dask cluster at {scheduler}", client.get_executor(), None, cores
            )
        finally:
            client.close()
        return
    workers = workers or len(os.sched_getaffinity(0))
    if workers == 1:
        yield SamplerChoice(SingleCoreSampler(), "1 local process", None, os.getpid(), 1)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from sim.experiments.executors import start_worker

    sampler = MulticoreEvalParallelSampler(n_procs=workers)
    # The predictive runs fork from the command like pyabc's own workers (no re-import), and
    # die with it like the sweeps' workers.
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=start_worker,
        initargs=(os.getpid(),),
    )
    with executor:
        yield SamplerChoice(sampler, f"{workers} local processes", executor, os.getpid(), workers)


def _prior(calibration: Calibration) -> Any:
    import pyabc

    rvs = {}
    for key, prior in zip(calibration.keys, calibration.priors, strict=True):
        if prior.dist is PriorKind.UNIFORM:
            rvs[key] = pyabc.RV("uniform", prior.low, prior.high - prior.low)
        else:
            rvs[key] = pyabc.RV("loguniform", prior.low, prior.high)
    return pyabc.Distribution(**rvs)


def _reseed(seed: int, key: int) -> None:
    """Seed numpy's global generator (pyabc's proposals) and ``random`` in this process."""
    state = run_seed(seed, key) % 2**32
    np.random.seed(state)  # noqa: NPY002 - pyabc proposes from the global generator
    random.seed(state)


@dataclass
class AbcRun:
    """What :func:`run_abc` leaves: the history, the run's id, why it stopped, its timing."""

    history: Any
    run_id: int
    stopped: str
    seconds: float
    generations_now: int


def stop_reason(calibration: Calibration, populations: pd.DataFrame) -> str | None:
    """Which budget limit the stored generations have reached (None: go on).

    ``populations`` is pyabc's ``History.get_all_populations()`` (t = -1 is the prior sample
    that sets the first epsilon; its simulations count toward the budget).
    """
    budget = calibration.spec.budget
    done = populations[populations["t"] >= 0]
    if done.empty:
        return None
    if int(done["t"].max()) + 1 >= budget.max_generations:
        return "max_generations"
    if budget.min_epsilon > 0 and float(done["epsilon"].iloc[-1]) <= budget.min_epsilon:
        return "min_epsilon"
    if int(populations["samples"].sum()) >= budget.max_simulations:
        return "max_simulations"
    return None


def run_abc(
    calibration: Calibration,
    db_path: Path,
    choice: SamplerChoice,
    *,
    resume_id: int | None = None,
    progress: Callable[[pd.DataFrame], None] | None = None,
) -> AbcRun:
    """Run (or continue) ABC-SMC until a budget limit; every generation is stored as it ends.

    Parameters
    ----------
    calibration
        The checked calibration.
    db_path
        pyabc's SQLite database (``abc.db`` of the results folder).
    choice
        The sampler (:func:`open_sampler`).
    resume_id
        The pyabc run id stored in ``db_path`` to continue; None starts a new run.
    progress
        Called after each generation with ``History.get_all_populations()``.
    """
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    seed = calibration.spec.seed
    budget = calibration.spec.budget
    abc = pyabc.ABCSMC(
        calibration.simulator(driver=choice.driver),
        _prior(calibration),
        calibration.distance(),
        population_size=budget.population,
        sampler=choice.sampler,
    )
    db = f"sqlite:///{db_path}"
    if resume_id is None:
        history = abc.new(db, calibration.observed_statistics)
    else:
        history = abc.load(db, resume_id)
    started = time.perf_counter()
    stopped = stop_reason(calibration, history.get_all_populations())
    ran = 0
    if stopped is None:
        t0 = history.max_t + 1
        _reseed(seed, _INIT_KEY + t0)
        try:
            t = abc.initialize_components_before_run(
                minimum_epsilon=budget.min_epsilon,
                max_nr_populations=budget.max_generations - t0,
                min_acceptance_rate=0.0,
                max_total_nr_simulations=budget.max_simulations,
                max_walltime=None,
                min_eps_diff=0.0,
            )
            while True:
                _reseed(seed, t)
                outcome = abc.run_generation(t=t)
                ran += 1
                populations = history.get_all_populations()
                if progress is not None:
                    progress(populations)
                stopped = stop_reason(calibration, populations)
                if not outcome["successful"]:
                    stopped = "sampler_failed"
                if stopped is not None:
                    break
                t += 1
        finally:
            history.done(end_time=datetime.now())
            choice.sampler.stop()
    return AbcRun(history, int(history.id), stopped, time.perf_counter() - started, ran)


def generations_table(history: Any) -> pd.DataFrame:
    """One row a generation: epsilon, simulations, acceptance rate, cumulative simulations."""
    pops = history.get_all_populations()
    total = pops["samples"].cumsum()
    frame = pd.DataFrame(
        {
            "generation": pops["t"].astype(int),
            "epsilon": pops["epsilon"].astype(float),
            "simulations": pops["samples"].astype(int),
            "accepted": pops["particles"].astype(int),
            "simulations_so_far": total.astype(int),
            "seconds": pops["wall_time"].astype(float),
        }
    )
    frame["acceptance_rate"] = frame["accepted"] / frame["simulations"]
    return frame[frame["generation"] >= 0].reset_index(drop=True)


def posterior_table(history: Any, calibration: Calibration) -> pd.DataFrame:
    """Every generation's particles: generation, particle, weight, distance, parameters, seed."""
    from sim.calibration.statistics import parameter_seed

    rows = []
    for t in range(history.max_t + 1):
        population = history.get_population(t=t)
        for i, particle in enumerate(population.particles):
            values = [float(particle.parameter[key]) for key in calibration.keys]
            row: dict[str, Any] = {
                "generation": t,
                "particle": i,
                "weight": float(particle.weight),
                "distance": float(particle.distance),
            }
            row |= dict(zip(calibration.keys, values, strict=True))
            row["seed"] = parameter_seed(calibration.spec.seed, values)
            rows.append(row)
    frame = pd.DataFrame(rows)
    # Weights are normalised within each generation.
    frame["weight"] = frame["weight"] / frame.groupby("generation")["weight"].transform("sum")
    return frame
