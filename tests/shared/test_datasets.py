import numpy as np
import pytest
import tensorflow_datasets as tfds

from seqsuite.shared.data.datasets import chaotic
from seqsuite.shared.data.datasets import tfds_builders as builders


@pytest.mark.parametrize("name", ["mackey_glass", "lorenz", "rossler", "henon", "logistic_map"])
def test_generators_are_seeded(name):
    f = chaotic.GENERATORS[name]
    a, b, c = f(300, seed=1), f(300, seed=1), f(300, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.all(np.isfinite(a)) and len(a) == 300


def test_mackey_glass_matches_its_equation():
    x = chaotic.mackey_glass(3000, tau=17, seed=None)
    assert 0.2 < x[500:].min() < 0.6 and 1.1 < x[500:].max() < 1.4  # the tau=17 attractor
    # central-difference derivative against the right-hand side, delay of 17 samples
    t = np.arange(600, 2900)
    lhs = (x[t + 1] - x[t - 1]) / 2
    xd = x[t - 17]
    rhs = 0.2 * xd / (1 + xd**10) - 0.1 * x[t]
    assert np.abs(lhs - rhs).max() < 5e-3


def test_narma_follows_its_recurrence():
    u, y = chaotic.narma(400, order=10, seed=3, discard=0)
    # y[t] is y(t+1) of the recurrence: it uses u[t] and u[t-9]
    for t in range(20, 400):
        expected = 0.3 * y[t - 1] + 0.05 * y[t - 1] * y[t - 10 : t].sum() + 1.5 * u[t - 9] * u[t] + 0.1
        assert y[t] == pytest.approx(expected)
    assert 0 <= u.min() and u.max() <= 0.5


def test_bad_arguments():
    with pytest.raises(ValueError, match="`n_steps` must be a positive integer. Received: n_steps=0"):
        chaotic.lorenz(0)
    with pytest.raises(ValueError, match=r"`r` must be a float in \(0, 4\]. Received: r=5"):
        chaotic.logistic_map(10, r=5)


def test_tfds_builders_load_offline_in_time_order(tmp_path):
    train = list(tfds.as_numpy(tfds.load("mackey_glass", split="train", data_dir=tmp_path)))
    series = np.concatenate([ex["series"][:, 0] for ex in train])
    expected = chaotic.mackey_glass(builders.CHUNK * builders.N_CHUNKS, tau=17.0, seed=0)
    np.testing.assert_allclose(series, expected[: len(series)], rtol=1e-6)
    test = list(tfds.as_numpy(tfds.load("mackey_glass/tau17:1.0.0", split="test",
                                        data_dir=tmp_path)))
    assert len(test) == 6 and test[0]["series"].shape == (builders.CHUNK, 1)
    narma = next(iter(tfds.as_numpy(tfds.load("narma/narma30", split="validation",
                                              data_dir=tmp_path))))
    assert narma["u"].shape == narma["y"].shape == (builders.CHUNK, 1)
    assert tfds.builder("lorenz", data_dir=tmp_path).info.features["series"].shape == (
        builders.CHUNK, 3)
