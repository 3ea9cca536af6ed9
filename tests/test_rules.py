"""The rule functions: scalar and array forms agree exactly, and each rule means what it says."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import rules

unit = st.floats(0.0, 1.0, allow_nan=False)


# No deadline: the first example builds each rule's ufunc (rules are built on first use).
@settings(deadline=None)
@given(st.lists(st.tuples(unit, unit, unit, unit, st.floats(0, 2), unit), min_size=1, max_size=30))
def test_scalar_and_array_forms_are_bit_identical(rows):
    s, h, t, theta, _cost, gw = (np.array(col) for col in zip(*rows, strict=True))
    g_arr = rules.grievance(h, t)
    d_arr = rules.drive(s, g_arr, 0.5)
    w_arr = rules.willing(d_arr, theta, rules.effective_cost(0.1, 1.5, gw))
    for i in range(len(rows)):
        g = rules.grievance(float(h[i]), float(t[i]))
        d = rules.drive(float(s[i]), g, 0.5)
        assert g == g_arr[i]
        assert d == d_arr[i]
        assert (
            rules.willing(d, float(theta[i]), rules.effective_cost(0.1, 1.5, float(gw[i])))
            == (w_arr[i])
        )
        assert rules.unheard_loss(float(t[i]), 0.05) == rules.unheard_loss(t, 0.05)[i]
        assert rules.answer_gain(float(t[i]), 0.3) == rules.answer_gain(t, 0.3)[i]


def test_social_signal_isolated_node_is_zero():
    assert rules.social_signal(0.0, 0.0) == 0.0
    out = rules.social_signal(np.array([1.0, 0.0, 2.0]), np.array([4.0, 0.0, 2.0]))
    np.testing.assert_array_equal(out, [0.25, 0.0, 1.0])


def test_willing_is_inclusive_at_the_threshold():
    # Granovetter: a person with threshold k joins when exactly k others have joined.
    assert rules.willing(3 / 99, 3 / 99, 0.0)
    assert not rules.willing(2 / 99, 3 / 99, 0.0)


def test_grievance_is_hardship_times_illegitimacy():
    assert rules.grievance(0.5, 0.2) == 0.5 * 0.8
    assert rules.grievance(0.0, 0.1) == 0.0


def test_organising_discount_is_capped():
    counts = np.array([0.0, 1.0, 3.0, 10.0])
    np.testing.assert_allclose(rules.organising_discount(counts, 0.2, 0.5), [0, 0.2, 0.5, 0.5])


def test_leaving_by_fatigue_and_by_satisfaction():
    engaged = np.array([True, True, True, False])
    draw = np.array([0.01, 0.9, 0.9, 0.0])
    g = np.array([0.5, 0.5, 0.01, 0.0])
    np.testing.assert_array_equal(
        rules.leaves(engaged, draw, 0.05, False, g, 0.05), [True, False, False, False]
    )
    np.testing.assert_array_equal(
        rules.leaves(engaged, draw, 0.05, True, g, 0.05), [True, False, True, False]
    )


def test_trust_changes_keep_trust_in_unit_interval():
    t = np.linspace(0, 1, 11)
    for delta in (
        rules.unheard_loss(t, 0.3),
        rules.answer_gain(t, 0.3),
        rules.persuasion_gain(t, 1.0),
        rules.backlash_loss(t, 1.0),
    ):
        new = t + delta
        assert np.all(new >= -1e-12) and np.all(new <= 1 + 1e-12)


def test_institution_signal_weights_channels():
    counts = np.array([10, 2, 1])
    assert rules.institution_signal(counts, np.array([1.0, 5.0, 200.0]), 100) == (
        (10 + 10 + 200) / 100
    )


def test_response_capacity():
    assert rules.response_capacity(0.02, 2000) == 40
    assert rules.response_capacity(0.0, 2000) == 0
    assert rules.response_capacity(0.0001, 100) == 1
