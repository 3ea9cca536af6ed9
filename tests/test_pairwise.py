"""numpy's pairwise summation in compiled code: the means of the time series, to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import pairwise


@settings(max_examples=60, deadline=None)
@given(
    n=st.one_of(st.integers(1, 300), st.integers(300, 40_000)),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-6, 1.0, 1e9]),
    rounds=st.integers(1, 6),
)
def test_partial_sums_keep_numpys_mean_through_changes(n, seed, scale, rounds):
    """The mean from partial sums over numpy's pairwise tree equals numpy.mean to the bit, in
    full and after changes to a few numbers, many, or every one (summed again node by node: the
    marked nodes sorted when few, all nodes scanned in order when many)."""
    rng = np.random.default_rng(seed)
    values = rng.random(n) * scale
    assert pairwise.pairwise_mean(values) == np.mean(values)
    tree = pairwise.pairwise_tree(n)
    sums = pairwise.partial_sums(tree)
    assert pairwise.tree_mean(values, tree, sums, True) == np.mean(values)
    for _ in range(rounds):
        changed = rng.integers(0, n, size=int(rng.integers(1, max(2, n // 3))))
        values[changed] = rng.random(changed.size) * scale
        for i in changed:
            pairwise.mark_changed(i, tree, sums)
        assert pairwise.tree_mean(values, tree, sums, False) == np.mean(values)
        assert not sums[1].any()  # every node summed again, whether sorted or scanned
    assert sums[3][0] == 0  # every mark consumed


def test_an_unmarked_change_is_not_seen():
    """The partial sums are a cache: a change nobody marked keeps the old mean (the kernels mark
    every change of trust, grievance or efficacy, or ask for every node to be summed again)."""
    values = np.linspace(0.0, 1.0, 1000)
    tree = pairwise.pairwise_tree(values.size)
    sums = pairwise.partial_sums(tree)
    before = pairwise.tree_mean(values, tree, sums, True)
    values[10] += 5.0
    assert pairwise.tree_mean(values, tree, sums, False) == before
    assert pairwise.tree_mean(values, tree, sums, True) == np.mean(values) != before
