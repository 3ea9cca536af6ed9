"""numpy's pairwise summation, written out for compiled code: ``numpy.mean`` to the last bit.

Legitimacy, mean grievance and mean efficacy are means over every citizen; the frontier engine
(:mod:`sim.model.step_kernels`) keeps them in compiled code and must get numpy's float, which
only the same pairwise order of addition (``DOUBLE_pairwise_sum``) gives. It keeps the partial
sums of that order's tree (:func:`pairwise_tree`, :func:`tree_mean`), so that a change of a few
numbers costs a few leaves and their ancestors, not a pass over everyone.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["mark_changed", "pairwise_mean", "pairwise_tree", "partial_sums", "tree_mean"]


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


# numpy's pairwise sum is a fixed binary tree over the array (halves at multiples of 8, leaves of
# at most 128 numbers). Keeping each node's partial sum, a change of a few numbers is summed
# again along their leaves' paths to the root only, and the total is still numpy's to the bit.
# A tree is (first index, size, left child, right child, parent, leaf of each run of 8 numbers),
# its nodes numbered in post-order (children before their parent, the root last); the partial
# sums of one array over it are (sums, dirty flags, dirty nodes, [number of dirty nodes]).


@numba.njit(cache=True)
def pairwise_tree(n):
    """numpy's pairwise-summation tree over ``n`` numbers, in post-order (see above)."""
    cap = 2 * (n // 64 + 2)
    first = np.zeros(cap, dtype=np.int64)
    size = np.zeros(cap, dtype=np.int64)
    left = np.full(cap, -1, dtype=np.int64)
    right = np.full(cap, -1, dtype=np.int64)
    parent = np.full(cap, -1, dtype=np.int64)
    leaf_of = np.zeros(n // 8 + 1, dtype=np.int64)
    # Explicit stack of (first, size, state, slot of the left child's number).
    s_first = np.zeros(128, dtype=np.int64)
    s_size = np.zeros(128, dtype=np.int64)
    s_state = np.zeros(128, dtype=np.int64)
    s_left = np.zeros(128, dtype=np.int64)
    s_right = np.zeros(128, dtype=np.int64)
    top = 0
    s_first[0], s_size[0], s_state[0] = 0, n, 0
    count = 0
    last = -1  # number of the node finished last
    while top >= 0:
        lo, m = s_first[top], s_size[top]
        if m <= 128:
            first[count], size[count] = lo, m
            for chunk in range(lo // 8, (lo + m + 7) // 8):
                leaf_of[chunk] = count
            last = count
            count += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        if s_state[top] == 0:
            s_state[top] = 1
            top += 1
            s_first[top], s_size[top], s_state[top] = lo, half, 0
        elif s_state[top] == 1:
            s_left[top] = last
            s_state[top] = 2
            top += 1
            s_first[top], s_size[top], s_state[top] = lo + half, m - half, 0
        else:
            s_right[top] = last
            first[count], size[count] = lo, m
            left[count], right[count] = s_left[top], s_right[top]
            parent[s_left[top]] = count
            parent[s_right[top]] = count
            last = count
            count += 1
            top -= 1
    return first[:count], size[:count], left[:count], right[:count], parent[:count], leaf_of


@numba.njit(cache=True)
def partial_sums(tree):
    """Empty partial sums of one array over ``tree`` (to be filled by :func:`tree_mean`)."""
    nodes = tree[0].size
    return (
        np.zeros(nodes),
        np.zeros(nodes, dtype=np.bool_),
        np.zeros(nodes, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
    )


@numba.njit(cache=True)
def mark_changed(i, tree, sums):
    """Number ``i`` of the array changed: its leaf and the leaf's ancestors are summed again."""
    parent, dirty, listed, count = tree[4], sums[1], sums[2], sums[3]
    node = tree[5][i >> 3]
    while node >= 0 and not dirty[node]:
        dirty[node] = True
        listed[count[0]] = node
        count[0] += 1
        node = parent[node]


# tree_mean scans every node rather than sorting the marked ones when more than one in this
# many is marked.
DENSE_NODES = 16


@numba.njit(cache=True)
def tree_mean(a, tree, sums, everything):
    """``numpy.mean(a)`` to the bit, summing again only the nodes marked since the last call
    (every node when ``everything``)."""
    first, size, left, right = tree[0], tree[1], tree[2], tree[3]
    values, dirty, listed, count = sums
    nodes = first.size
    # In post-order (ascending numbers), children are summed before their parent: the marked
    # nodes sorted, or, when more than one node in DENSE_NODES is marked, all of them scanned in
    # order (cheaper than sorting them: trust memory marks nearly every node after an incident).
    scan = everything or count[0] * DENSE_NODES > nodes
    todo = listed[:0] if scan else np.sort(listed[: count[0]])
    for p in range(nodes if scan else todo.size):
        node = p if scan else todo[p]
        if scan and not (everything or dirty[node]):
            continue
        if left[node] < 0:
            values[node] = _block_sum(a, first[node], size[node])
        else:
            values[node] = values[left[node]] + values[right[node]]
        dirty[node] = False
    count[0] = 0
    return (0.0 + values[nodes - 1]) / a.size


@numba.njit(cache=True)
def pairwise_mean(a):
    """``numpy.mean`` of a contiguous float64 array, bit for bit: numpy's tree summed in full."""
    tree = pairwise_tree(a.size)
    return tree_mean(a, tree, partial_sums(tree), True)
