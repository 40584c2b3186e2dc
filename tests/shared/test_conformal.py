"""Conformal interval calibration (shared.layers.conformal) against its definition
and on a synthetic case whose noise is known."""

import math

import numpy as np
import pytest

from seqsuite.shared.layers.conformal import (
    CalibrationError,
    apply_conformal,
    central_intervals,
    conformal_offsets,
    needed,
    shortfall,
)

LEVELS = [0.025, 0.1, 0.5, 0.9, 0.975]


def _coverage(y, quantiles, low, high):
    return float(np.mean((y >= quantiles[..., low]) & (y <= quantiles[..., high])))


@pytest.mark.parametrize("method", ["conformal", "split"])
def test_miscalibrated_intervals_reach_nominal_coverage_on_known_noise(method):
    # y = 2 t + N(0, 1); the "model" knows the mean but its intervals are half as wide
    # as they should be (one step) or twice as wide (the other), so raw coverage is wrong.
    rng = np.random.default_rng(0)
    z = np.array([-1.96, -1.2816, 0.0, 1.2816, 1.96])
    width = np.array([0.5, 2.0])  # per horizon step: too narrow, too wide

    def forecasts(n):
        mean = rng.normal(size=(n, 1)) * np.ones((1, 2))
        y = mean + rng.normal(size=(n, 2))
        return y, mean, mean[..., None] + width[None, :, None] * z
    y, point, q = forecasts(2000)
    offsets = conformal_offsets(y, point, q, LEVELS, method)
    test_y, test_point, test_q = forecasts(40000)
    raw_80 = _coverage(test_y[:, 0], test_q[:, 0], 1, 3)
    assert raw_80 < 0.5  # far off before calibration
    calibrated = np.asarray(apply_conformal(test_point, test_q, offsets, LEVELS, method))
    for percent, low, high in central_intervals(LEVELS):
        for k in range(2):
            got = _coverage(test_y[:, k], calibrated[:, k], low, high)
            assert abs(got - percent / 100) < 0.015, (method, percent, k, got)
    # the median is never moved
    np.testing.assert_allclose(offsets[:, 2], 0.0)


def test_offsets_are_the_finite_sample_conformal_quantile():
    # Scores 1..19 at one step: the 95% correction is the ceil(20 * 0.95) = 19th smallest,
    # the 80% one the ceil(20 * 0.8) = 16th.
    scores = np.arange(1.0, 20.0)
    y = scores[:, None]
    point = np.zeros((19, 1))
    q = np.zeros((19, 1, 5))  # every quantile at 0: the CQR score is y itself
    conformal = conformal_offsets(y, point, q, LEVELS, "conformal")
    np.testing.assert_allclose(conformal[0], [-19, -16, 0, 16, 19])
    split = conformal_offsets(-y, point, q, LEVELS, "split")  # |y - point| the same
    np.testing.assert_allclose(split[0], [-19, -16, 0, 16, 19])


def test_apply_matches_a_numpy_reference_and_keeps_intervals_nested():
    rng = np.random.default_rng(1)
    point = rng.normal(size=(4, 3))
    q = np.sort(rng.normal(size=(4, 3, 5)), axis=-1)
    offsets = rng.normal(size=(3, 5))
    offsets[:, 2] = 0
    np.testing.assert_allclose(np.asarray(apply_conformal(point, q, offsets, LEVELS)),
                               np.sort(q + offsets, axis=-1), rtol=1e-5, atol=1e-6)
    split = np.asarray(apply_conformal(point, q, offsets, LEVELS, "split"))
    base = np.where(np.array([True, True, False, True, True]), point[..., None], q)
    np.testing.assert_allclose(split, np.sort(base + offsets, axis=-1), rtol=1e-5, atol=1e-6)
    assert np.all(np.diff(split, axis=-1) >= 0)


def test_too_few_held_out_forecasts_are_named():
    assert needed(0.05) == 19 and needed(0.2) == 4
    y = np.zeros((18, 2))
    y[:, 1] = np.nan  # a step no series reaches is not a shortfall
    problem = shortfall(y, LEVELS)
    assert problem == ("18 held-out forecasts at horizon step 1; the 95% conformal interval "
                       "needs at least 19")
    with pytest.raises(CalibrationError, match="needs at least 19"):
        conformal_offsets(y, y, np.zeros((18, 2, 5)), LEVELS)
    assert shortfall(np.zeros((19, 2)), LEVELS) is None
    offsets = conformal_offsets(np.vstack([y, [[0.0, np.nan]]]), np.zeros((19, 2)),
                                np.zeros((19, 2, 5)), LEVELS)
    np.testing.assert_allclose(offsets[:, 1], 0.0)  # a step without targets: no offset
    assert shortfall(np.zeros((4, 1)), [0.1, 0.5, 0.9]) is None  # 80% alone needs 4
    assert math.isclose(needed(0.5), 1)
