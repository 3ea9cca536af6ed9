"""A series of incidents (avalanche mode) in one compiled call of the frontier engine.

:func:`relax_series` does what :class:`sim.model.lifecycle.Avalanches` does between two
incidents, without Python in between: relax the sparked incident to its end
(:func:`sim.model.step_kernels.relax`), record its avalanche-table row, end it (efficacy lost by
the unheard, trust memory), disengage everyone, and spark the next citizen with the run's
generator (``rng.integers(0, pool.size)`` in numba is ``rng.integers(pool.size)`` in numpy, to
the bit). The Python layer turns the rows into the avalanche table and the time-series rows
into the data collector's columns, and the mechanisms' columns (``people`` from the size,
``reached`` from the commitments reached, recorded before the incident's end clears them).
"""

from __future__ import annotations

import numba
import numpy as np

from sim.model import institution_kernels as ik
from sim.model import step_kernels as sk

__all__ = ["ROW_FIELDS", "relax_series"]

# Integer columns of a recorded incident (``rows_int``); ``rows_float`` holds the peak signal
# and the legitimacy after the incident. ``pending`` holds the sparked incident not yet relaxed:
# [spark, start step, responses before it, conceded before it (0/1)].
# ``rows_reached[k, c]``: whether incident k reached commitment c (in the policy's order).
ROW_FIELDS = ("spark", "start_step", "duration", "size", "peak", "responses", "actions", "conceded")


@numba.njit(cache=True)
def relax_series(
    graph,
    cit,
    book,
    mech,
    chan,
    scal,
    scal_end,
    inst_f,
    inst_i,
    kinds,
    params,
    rng,
    pool,
    cheapest_open,
    max_steps,
    steps_before,
    involved,
    first_index,
    remaining,
    pending,
    ts_int,
    ts_float,
    rows_int,
    rows_float,
    rows_reached,
):
    """Relax, record, end and replace incidents until ``remaining`` are recorded or the
    time-series buffers could not hold another incident of ``max_steps`` steps.

    Returns (incidents recorded, steps made). When an incident was sparked after the last one
    recorded, ``pending`` describes it; ``pending[0]`` is -1 otherwise.
    """
    channel = cit[6]
    reached = mech[6]
    newly = np.empty(1, dtype=np.int64)  # the spark's engagement is not a step's "newly"
    spark = np.empty(1, dtype=np.int64)
    value = np.empty(1, dtype=np.int16)
    capacity = ts_int.shape[0]
    used = 0
    done = 0
    while done < remaining and used + max_steps <= capacity:
        steps, size, peak_engaged, peak_signal, mask = sk.relax(
            graph,
            cit,
            book,
            mech,
            chan,
            scal,
            inst_f,
            inst_i,
            kinds,
            params,
            rng,
            max_steps,
            steps_before + used + 1,
            involved,
            first_index + done,
            ts_int[used:],
            ts_float[used:],
        )
        used += steps
        row = rows_int[done]
        row[0], row[1], row[2], row[3] = pending[0], pending[1], steps, size
        row[4] = peak_engaged
        row[5] = inst_i[ik.RESPONSES] - pending[2]
        row[6] = mask
        row[7] = 1 if inst_i[ik.CONCEDED] != 0 and pending[3] == 0 else 0
        rows_reached[done, :] = reached
        rows_float[done, 0] = peak_signal
        rows_float[done, 1] = sk.legitimacy(cit, book, inst_f, inst_i)
        done += 1
        if scal_end[0] > 0 or scal_end[1] > 0:
            sk.end_incident(book, cit, mech, chan, scal, scal_end, inst_i)
        reached[:] = False  # as Python does: each incident reaches its commitments afresh
        sk.disengage_all(graph, cit, book, chan, mech, newly)  # as Python does
        pending[0] = -1
        if done == remaining:
            break
        # The next incident: one citizen who can use some channel, through the cheapest.
        spark[0] = pool[rng.integers(0, pool.size)]
        value[0] = max(channel[spark[0]], cheapest_open[spark[0]])
        pending[0] = spark[0]
        pending[1] = steps_before + used
        pending[2] = inst_i[ik.RESPONSES]
        pending[3] = inst_i[ik.CONCEDED]
        sk.set_channels_in(spark, value, graph, cit, book, chan, mech, newly)
    return done, used
