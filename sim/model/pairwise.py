"""numpy's pairwise summation, written out for compiled code: ``numpy.mean`` to the last bit.

Legitimacy, mean grievance and mean efficacy are means over every citizen; the frontier engine
(:mod:`sim.model.step_kernels`) recomputes them in compiled code and must get numpy's float, which
only the same pairwise order of addition (``DOUBLE_pairwise_sum``) gives.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["pairwise_mean"]


@numba.njit(cache=True)
def _block_sum(a, lo, n):
    """numpy's pairwise sum of a block of at most 128 numbers (eight running sums)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    end = n - (n % 8)
    while i < end:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@numba.njit(cache=True)
def _pairwise_sum(a):
    """numpy's ``DOUBLE_pairwise_sum``: halves (at multiples of 8) down to blocks of 128.

    Written with an explicit stack, not recursion (numba's cache cannot reload a recursive
    function).
    """
    n = a.size
    if n <= 128:
        return _block_sum(a, 0, n)
    depth = 128
    lo_stack = np.zeros(depth, dtype=np.int64)
    n_stack = np.zeros(depth, dtype=np.int64)
    state = np.zeros(depth, dtype=np.int64)
    values = np.zeros(depth)
    top = 0
    n_values = 0
    lo_stack[0], n_stack[0], state[0] = 0, n, 0
    while top >= 0:
        lo, size = lo_stack[top], n_stack[top]
        if size <= 128:
            values[n_values] = _block_sum(a, lo, size)
            n_values += 1
            top -= 1
            continue
        half = size // 2
        half -= half % 8
        if state[top] == 0:
            state[top] = 1
            top += 1
            lo_stack[top], n_stack[top], state[top] = lo, half, 0
        elif state[top] == 1:
            state[top] = 2
            top += 1
            lo_stack[top], n_stack[top], state[top] = lo + half, size - half, 0
        else:
            right = values[n_values - 1]
            left = values[n_values - 2]
            n_values -= 2
            values[n_values] = left + right
            n_values += 1
            top -= 1
    return values[0]


@numba.njit(cache=True)
def pairwise_mean(a):
    """``numpy.mean`` of a contiguous float64 array, bit for bit (numpy's pairwise sum)."""
    return (0.0 + _pairwise_sum(a)) / a.size
