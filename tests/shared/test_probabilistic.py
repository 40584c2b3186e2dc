"""Tests for shared.layers.probabilistic: the layer harness, and losses, quantiles and scaling
against NumPy/SciPy references."""

import math

import keras
import numpy as np
import pytest
from keras.src import testing
from scipy import stats

from seqsuite.shared.layers.probabilistic import (
    DistributionHead,
    ForecastLoss,
    head_point,
    head_quantiles,
    location_scale,
    n_params,
)

LEVELS = [0.025, 0.1, 0.5, 0.9, 0.975]


class DistributionHeadTest(testing.TestCase):
    def test_layer_contract(self):
        for head in ("quantile", "gaussian", "student_t", "point"):
            self.run_layer_test(
                DistributionHead,
                init_kwargs={"head": head, "horizon": 3, "levels": LEVELS},
                input_shape=(2, 4),
                expected_output_shape=(2, 3, n_params(head, LEVELS)),
                expected_num_trainable_weights=2,
                supports_masking=False,
            )

    def test_constraints(self):
        x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32") * 10
        quantiles = np.asarray(DistributionHead("quantile", 4, LEVELS)(x))
        assert np.all(np.diff(quantiles, axis=-1) > 0)  # never crossing
        gaussian = np.asarray(DistributionHead("gaussian", 4)(x))
        assert np.all(gaussian[..., 1] > 0)
        student = np.asarray(DistributionHead("student_t", 4)(x))
        assert np.all(student[..., 1] > 0) and np.all(student[..., 2] > 2)

    def test_rejects_bad_levels(self):
        with pytest.raises(ValueError, match="levels"):
            DistributionHead("quantile", 2, [0.5, 0.1])
        with pytest.raises(ValueError, match="head"):
            DistributionHead("laplace", 2)


def numpy_loss(head, y, params):
    if head == "point":
        return np.abs(y - params[..., 0])
    if head == "quantile":
        d = y[..., None] - params
        tau = np.array(LEVELS)
        return np.mean(np.maximum(tau * d, (tau - 1) * d), axis=-1)
    if head == "gaussian":
        return -stats.norm.logpdf(y, params[..., 0], params[..., 1])
    return -stats.t.logpdf(y, params[..., 2], params[..., 0], params[..., 1])


@pytest.mark.parametrize("head", ["quantile", "gaussian", "student_t", "point"])
def test_loss_matches_numpy_and_skips_nan(head):
    rng = np.random.default_rng(1)
    y = rng.normal(size=(3, 4)).astype("float32")
    y[0, 2:] = np.nan  # a series' horizon ends early
    params = np.asarray(DistributionHead(head, 4, LEVELS)(rng.normal(size=(3, 5)).astype(
        "float32")))
    got = np.asarray(ForecastLoss(head, LEVELS).call(y, params))
    expected = np.nanmean(numpy_loss(head, y, params), axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    # an ensemble axis: every member scored on every target
    stacked = np.stack([params, params * 0 + params], axis=1)
    np.testing.assert_allclose(np.asarray(ForecastLoss(head, LEVELS).call(y, stacked)), expected,
                               rtol=1e-4, atol=1e-5)


def test_quantiles_of_distributions_match_scipy():
    mu, sigma, nu = 1.5, 2.0, 3.5
    gaussian = np.array([[mu, sigma]], "float32")
    np.testing.assert_allclose(np.asarray(head_quantiles("gaussian", [], gaussian, LEVELS))[0],
                               stats.norm.ppf(LEVELS, mu, sigma), rtol=1e-4)
    student = np.array([[mu, sigma, nu]], "float32")
    np.testing.assert_allclose(np.asarray(head_quantiles("student_t", [], student, LEVELS))[0],
                               stats.t.ppf(LEVELS, nu, mu, sigma), rtol=1e-4)
    assert float(np.asarray(head_point("student_t", [], student))[0]) == pytest.approx(mu)
    q = np.array([[0.0, 1.0, 2.0, 3.0, 4.0]], "float32")
    assert float(np.asarray(head_point("quantile", LEVELS, q))[0]) == 2.0
    with pytest.raises(ValueError, match="levels"):
        head_quantiles("quantile", LEVELS, q, [0.05])


def test_location_scale():
    x = np.array([[np.nan, 1.0, 3.0, 2.0],  # padded: steps 2, 1
                  [5.0, 5.0, 5.0, 5.0],  # flat: mean |x|
                  [0.0, 0.0, 0.0, 0.0]], "float32")  # all zero: 1
    loc, scale = (np.asarray(a) for a in location_scale(x))
    np.testing.assert_allclose(loc, [2.0, 5.0, 0.0])
    np.testing.assert_allclose(scale, [1.5, 5.0, 1.0])
    assert math.isfinite(float(scale.sum()))


def test_head_round_trips_through_a_saved_model(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, DistributionHead("student_t", 2)(inputs))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.ones((1, 4), "float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))
