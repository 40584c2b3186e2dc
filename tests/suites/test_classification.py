import dataclasses
import json
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.testing import TestCase

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.errors import ConfigError, DataError
from seqsuite.shared.layers.masking import LengthMask
from seqsuite.shared.layers.reservoir import RidgeReadout
from seqsuite.shared.run import runner
from seqsuite.suites.classification.baselines import (
    ReferenceSet,
    minirocket,
    nearest_dtw,
    nearest_euclidean,
    resample,
)
from seqsuite.suites.classification.data import (
    embedded_file,
    load_data,
    pad,
    stratified_folds,
    stratified_split,
)
from seqsuite.suites.classification.formats import read_csv, read_ts
from seqsuite.suites.classification.model import (
    FeatureStandardize,
    FirstDifference,
    SeriesStandardize,
    TemperatureSoftmax,
    TimePooling,
    input_weight_scale,
)
from seqsuite.suites.classification.train import (
    RIDGES,
    classification_scores,
    leave_one_out_scores,
)

SUITE = "classification"


# The .ts and CSV readers.

TS = """# comment
@problemName toy
@timeStamps false
@univariate false
@dimensions 2
@equalLength false
@classLabel true walk run
@data
1,2,3:4,5,6:walk
0.5,?,?:1.5,?,?:run
7,8:9,10:run
"""


def test_ts_reader_keeps_lengths_drops_trailing_padding_and_declared_classes(tmp_path):
    path = tmp_path / "toy.ts"
    path.write_text(TS)
    seqs = read_ts(path)
    assert [v.shape for v in seqs.values] == [(3, 2), (1, 2), (2, 2)]
    np.testing.assert_array_equal(seqs.values[0], [[1, 4], [2, 5], [3, 6]])
    assert seqs.labels == ["walk", "run", "run"] and seqs.classes == ["walk", "run"]
    assert seqs.ids == ["9", "10", "11"]  # line numbers


def test_ts_reader_skips_percent_comment_lines(tmp_path):
    path = tmp_path / "toy.ts"
    path.write_text("% a note, as some of sktime's files begin\n%\n" + TS)
    assert read_ts(path).labels == ["walk", "run", "run"]


def test_minirocket_baseline_gives_the_published_accuracy_on_equal_length_recordings():
    """The wiring of sktime's MiniRocket (axes, scaling, ridge): on BasicMotions (six
    channels, 100 steps, official split) it scores the published 1.00, and a second fit
    from the same reference set and seed answers the same."""
    train = read_ts(embedded_file("basic_motions", "train"))
    test = read_ts(embedded_file("basic_motions", "test"))
    classes = sorted(set(train.labels))
    labels = np.array([classes.index(c) for c in train.labels])
    truth = np.array([classes.index(c) for c in test.labels])
    guess = minirocket(train.values, labels, test.values, seed=0)
    assert np.mean(guess == truth) == 1.0
    np.testing.assert_array_equal(minirocket(train.values, labels, test.values, seed=0), guess)


def test_embedded_sets_keep_their_official_splits():
    config = registry.resolve_config(SUITE, "smoke", [])
    data = load_data(config)
    assert data.classes == [str(i) for i in range(1, 10)]
    assert len(data.sequences["train"]) + len(data.sequences["val"]) == 270
    assert len(data.sequences["test"]) == 370
    lengths = [len(s) for part in data.sequences.values() for s in part]
    assert min(lengths) == 7 and max(lengths) == 29
    assert all(s.shape[1] == 12 for s in data.sequences["test"])
    assert np.bincount(data.labels["val"]).tolist() == [3] * 9  # stratified
    official_train = data.sequences["train"] + data.sequences["val"]
    assert data.learned["median_length"] == np.median([len(s) for s in official_train]) == 15
    motions = load_data(registry.resolve_config(SUITE, "smoke", ["data=basic_motions"]))
    assert motions.classes == ["Standing", "Running", "Walking", "Badminton"]
    assert len(motions.sequences["test"]) == 40 and motions.sequences["test"][0].shape == (100, 6)


@pytest.mark.parametrize("text, message", [
    ("@problemName x\n1,2:walk\n", "expected '@' header lines"),
    ("# nothing\n@problemName x\n", "no '@data' line"),
    ("@classLabel true a b\n@data\n1,x,3:a\n", "'x' is not a number"),
    ("@classLabel true a b\n@data\n1,2,3:4,5:a\n", "channels have different lengths (2, 3)"),
    ("@classLabel true a b\n@data\n1,?,3:a\n", "missing value inside the sequence (step 1)"),
    ("@classLabel true a b\n@data\n1,2:c\n", "label 'c' is not among the classes"),
    ("@classLabel true a b\n@data\n1,2:a\n1,2:3,4:b\n", "sequence 2 has 2 channels"),
    ("@classLabel false\n@data\n1,2\n", "has no class labels"),
    ("@timeStamps true\n@classLabel true a\n@data\n(1,2):a\n", "timestamped"),
    ("@targetLabel true\n@data\n1,2:0.5\n", "regression file"),
    ("@dimensions 3\n@classLabel true a\n@data\n1,2:a\n", "@dimensions says 3"),
])
def test_malformed_ts_is_a_one_line_error(tmp_path, text, message):
    path = tmp_path / "bad.ts"
    path.write_text(text)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        read_ts(path)
    assert "\n" not in str(err.value)


CSV = "id,t,x,y,label\nb,2,5,6,run\na,1,1,2,walk\nb,1,3,4,run\na,2,7,8,walk\na,3,9,9,walk\n"


def test_csv_reader_groups_rows_by_id_ordered_by_time(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(CSV)
    seqs = read_csv(path, time_column="t")
    assert seqs.ids == ["b", "a"] and seqs.labels == ["run", "walk"]
    np.testing.assert_array_equal(seqs.values[0], [[3, 4], [5, 6]])
    np.testing.assert_array_equal(seqs.values[1], [[1, 2], [7, 8], [9, 9]])
    in_file_order = read_csv(path, channels=["x"])  # t would be a channel otherwise
    np.testing.assert_array_equal(in_file_order.values[0], [[5], [3]])


@pytest.mark.parametrize("text, options, message", [
    ("id,x,label\na,1,p\na,2,q\n", {}, "sequence 'a' has more than one label ('p', 'q')"),
    ("id,x,label\na,1,p\na,2,p,9\n", {}, "not a regular CSV (Expected 3 fields in line 3, saw 4)"),
    ("id,x,label\na,1,p\na,2\n", {}, "line 3: empty 'label'"),
    ("id,x,label\na,1,p\na,oops,p\n", {}, "line 3: column 'x' holds 'oops', not a number"),
    ("id,x,label\na,1,p\n,2,p\n", {}, "line 3: empty 'id'"),
    ("id,x,label\n", {}, "has a header but no rows"),
    ("seq,x,label\na,1,p\n", {}, "has no column 'id'"),
    ("id,label\na,p\n", {}, "no channel columns"),
    ("id,t,x,label\na,soon,1,p\n", {"time_column": "t"}, "neither a number nor a date"),
])
def test_malformed_csv_is_a_one_line_error(tmp_path, text, options, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        read_csv(path, **options)
    assert message in str(err.value) and "\n" not in str(err.value)


def _toy_csv(path, n_per_class=10, classes=("a", "b"), seed=0):
    """Class a: a rising ramp; class b: a falling one; lengths 5 to 12."""
    rng = np.random.default_rng(seed)
    rows = ["id,x,y,label"]
    for c, name in enumerate(classes):
        for i in range(n_per_class):
            n = int(rng.integers(5, 13))
            ramp = np.linspace(0, 1, n) * (1 if c % 2 == 0 else -1) + c
            for t in range(n):
                rows.append(f"{name}{i},{ramp[t] + rng.normal(0, 0.05):.4f},{rng.normal():.4f},{name}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_data_is_split_stratified_and_checked_against_the_training_classes(tmp_path):
    path = _toy_csv(tmp_path / "toy.csv")
    config = registry.resolve_config(SUITE, "smoke", [f"data={path}"])
    data = load_data(config)
    assert data.classes == ["a", "b"] and data.learned["n_channels"] == 2
    assert [len(data.sequences[s]) for s in ("train", "val", "test")] == [14, 2, 4]
    assert np.bincount(data.labels["test"]).tolist() == [2, 2]
    other = _toy_csv(tmp_path / "other.csv", classes=("a", "z"))
    config = registry.resolve_config(SUITE, "smoke", [f"data={path}", f"test_data={other}"])
    with pytest.raises(DataError, match="sequence 'z0' has label 'z', which the training data"):
        load_data(config)


def test_stratified_split_holds_out_from_every_class_and_keeps_one():
    labels = np.array([0] * 10 + [1] * 3 + [2])
    kept, held = stratified_split(labels, 0.2, seed=0)
    assert sorted(np.concatenate([kept, held]).tolist()) == list(range(14))
    assert np.bincount(labels[held], minlength=3).tolist() == [2, 1, 0]
    assert set(labels[kept]) == {0, 1, 2}


def test_stratified_folds_partition_the_rows_and_share_out_every_class():
    labels = np.array([0] * 10 + [1] * 7 + [2] * 3)
    folds = stratified_folds(labels, 5, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(20))
    for label, size in ((0, 10), (1, 7), (2, 3)):
        counts = [int(np.sum(labels[fold] == label)) for fold in folds]
        assert max(counts) - min(counts) <= 1 and sum(counts) == size
    assert max(map(len, folds)) - min(map(len, folds)) <= 1
    assert [f.tolist() for f in stratified_folds(labels, 5, seed=0)] == [f.tolist() for f in folds]


def test_reservoir_time_scale_and_input_drive_follow_the_training_data():
    config = registry.resolve_config(SUITE, "smoke", ["model=esn", "time_constant=0.2"])
    assert config.ridge is None  # chosen by leave-one-out when fitted
    vowels = dataclasses.replace(config, classes=["a", "b"], n_channels=12, median_length=15.0)
    motions = dataclasses.replace(vowels, n_channels=6, median_length=100.0)
    assert vowels.reservoir_leak_rate() == pytest.approx(1 / 3)
    assert motions.reservoir_leak_rate() == pytest.approx(0.05)
    assert dataclasses.replace(vowels, time_constant=0.01).reservoir_leak_rate() == 1.0
    assert dataclasses.replace(vowels, leak_rate=0.7).reservoir_leak_rate() == 0.7
    # Each unit sums about input_connectivity * n_channels ±1-weighted standardised
    # channels: the drive's spread is input_scaling whatever the channel count.
    for c in (vowels, motions):
        weights = np.random.default_rng(0).choice([-1.0, 1.0], size=(c.n_channels, 4000))
        weights *= np.random.default_rng(1).random(weights.shape) < c.input_connectivity
        drive = np.random.default_rng(2).normal(size=(1000, c.n_channels)) @ weights
        assert np.std(drive * input_weight_scale(c)) == pytest.approx(c.input_scaling, rel=0.02)
    # The reservoirs of a view span 1 (fast) to the slowest leak rate, geometrically.
    four = dataclasses.replace(motions, timescales=4)
    np.testing.assert_allclose(four.reservoir_leak_rates(), [1.0, 0.3684, 0.1357, 0.05],
                               rtol=1e-3)
    assert dataclasses.replace(four, timescales=1).reservoir_leak_rates() == [0.05]
    with pytest.raises(ConfigError, match="time_constant must be > 0"):
        registry.resolve_config(SUITE, "smoke", ["time_constant=0"])
    with pytest.raises(ConfigError, match="pooling must join distinct statistics"):
        registry.resolve_config(SUITE, "smoke", ["pooling=mean_median"])
    with pytest.raises(ConfigError, match="views must list distinct views"):
        registry.resolve_config(SUITE, "smoke", ["views=global,local"])
    with pytest.raises(ConfigError, match="cannot give each of the reservoirs a unit"):
        registry.resolve_config(SUITE, "smoke", ["reservoir_units=3", "timescales=2"])
    with pytest.raises(ConfigError, match="ridge must be > 0"):
        registry.resolve_config(SUITE, "smoke", ["ridge=0"])


# Layers, each against a NumPy reference.

class LayerTest(TestCase):
    def test_time_pooling_layer_contract(self):
        self.run_layer_test(
            TimePooling, init_kwargs={"mode": "mean_last"},
            input_data=[np.random.rand(3, 5, 4).astype("float32"), np.array([5, 2, 1], "int32")],
            expected_output_shape=(3, 8), expected_num_trainable_weights=0,
            run_training_check=False, run_mixed_precision_check=False,
        )

    def test_time_pooling_matches_numpy(self):
        states = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
        length = np.array([6, 2, 0], "int32")
        pooled = np.asarray(TimePooling("mean_last")([states, length]))
        for i, n in enumerate(length):
            mean = states[i, :n].mean(0) if n else np.zeros(4)
            last = states[i, n - 1] if n else np.zeros(4)
            np.testing.assert_allclose(pooled[i], np.concatenate([mean, last]), atol=1e-6)
        np.testing.assert_allclose(TimePooling("last")([states, length])[1], states[1, 1])

    def test_every_pooling_statistic_matches_numpy(self):
        states = np.random.default_rng(2).normal(size=(3, 6, 4)).astype("float32")
        states[1, 2:] = 50.0  # padding: must not count
        length = np.array([6, 2, 0], "int32")
        pooled = np.asarray(TimePooling("mean_max_min_ppv_std_last")([states, length]))
        assert pooled.shape == (3, 24)
        for i, n in enumerate(length):
            h = states[i, :n]
            expected = (np.concatenate([h.mean(0), h.max(0), h.min(0), (h > 0).mean(0), h.std(0),
                                        h[-1]]) if n else np.zeros(24))
            np.testing.assert_allclose(pooled[i], expected, atol=1e-5)
        with pytest.raises(ValueError, match="distinct statistics"):
            TimePooling("mean_median")
        with pytest.raises(ValueError, match="distinct statistics"):
            TimePooling("max_max")

    def test_segment_means_match_numpy(self):
        self.run_layer_test(
            TimePooling, init_kwargs={"mode": "mean", "segments": 3},
            input_data=[np.random.rand(3, 7, 4).astype("float32"), np.array([7, 2, 1], "int32")],
            expected_output_shape=(3, 16), expected_num_trainable_weights=0,
            run_training_check=False, run_mixed_precision_check=False,
        )
        states = np.random.default_rng(4).normal(size=(4, 7, 2)).astype("float32")
        states[1, 5:] = 50.0  # padding: must not count
        length = np.array([7, 5, 2, 0], "int32")
        pooled = np.asarray(TimePooling("max", segments=3)([states, length]))
        assert pooled.shape == (4, 8)
        for i, n in enumerate(length):
            h = states[i, :n]
            parts = [h[[t for t in range(n) if t * 3 // n == k]] for k in range(3)]
            expected = np.concatenate(
                [h.max(0) if n else np.zeros(2)]
                + [p.mean(0) if len(p) else np.zeros(2) for p in parts])
            np.testing.assert_allclose(pooled[i], expected, atol=1e-5)
        with pytest.raises(ValueError, match="segments"):
            TimePooling("mean", segments=0)

    def test_series_standardize_layer_contract_and_numpy(self):
        self.run_layer_test(
            SeriesStandardize, init_kwargs={"epsilon": 1e-6},
            input_data=[np.random.rand(3, 5, 2).astype("float32"), np.array([5, 2, 1], "int32")],
            expected_output_shape=(3, 5, 2), expected_num_trainable_weights=0,
            run_training_check=False, run_mixed_precision_check=False,
        )
        rng = np.random.default_rng(3)
        x = (rng.normal(size=(2, 7, 2)) * [10, 0.1] + [5, -3]).astype("float32")
        length = np.array([7, 4], "int32")
        out = np.asarray(SeriesStandardize()([x, length]))
        for i, n in enumerate(length):
            z = (x[i, :n] - x[i, :n].mean(0)) / (x[i, :n].std(0) + 1e-6)
            np.testing.assert_allclose(out[i, :n], z, atol=1e-4)
            np.testing.assert_array_equal(out[i, n:], 0.0)

    def test_first_difference_matches_numpy(self):
        self.run_layer_test(
            FirstDifference, init_kwargs={}, input_shape=(2, 5, 3),
            expected_output_shape=(2, 5, 3), expected_num_trainable_weights=0,
            run_mixed_precision_check=False,
        )
        x = np.random.default_rng(4).normal(size=(2, 5, 3)).astype("float32")
        expected = np.diff(x, axis=1, prepend=x[:, :1])
        np.testing.assert_allclose(np.asarray(FirstDifference()(x)), expected, atol=1e-6)

    def test_feature_standardize_keeps_constant_features_unscaled(self):
        features = np.array([[1.0, 5.0, 0.0], [3.0, 5.0, 2.0], [5.0, 5.0, 4.0]])
        layer = FeatureStandardize()
        layer.build(features.shape)
        fitted = layer.fit(features)
        np.testing.assert_allclose(fitted.std(0), [1.0, 0.0, 1.0])
        np.testing.assert_allclose(np.asarray(layer(features.astype("float32"))), fitted,
                                   atol=1e-6)
        # a new value of the constant feature moves by itself, not by 1/1e-6
        new = np.asarray(layer(np.array([[3.0, 5.5, 2.0]], "float32")))
        np.testing.assert_allclose(new, [[0.0, 0.5, 0.0]], atol=1e-6)

    def test_temperature_softmax(self):
        self.run_layer_test(
            TemperatureSoftmax, init_kwargs={}, input_shape=(2, 3),
            expected_output_shape=(2, 3), expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=1,
        )
        layer = TemperatureSoftmax()
        scores = np.array([[1.0, 2.0, 0.0]], "float32")
        layer.build(scores.shape)
        layer.temperature.assign(0.5)
        expected = np.exp(scores / 0.5) / np.exp(scores / 0.5).sum()
        np.testing.assert_allclose(layer(scores), expected, rtol=1e-6)

    def test_length_mask_makes_padding_invisible_to_a_bidirectional_rnn(self):
        sequence = keras.Input((None, 2))
        length = keras.Input((), dtype="int32")
        masked = LengthMask()([sequence, length])
        rnn = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=False))
        model = keras.Model([sequence, length], rnn(masked))
        x = np.random.default_rng(1).normal(size=(1, 4, 2)).astype("float32")
        garbage = np.concatenate([x, 100 * np.ones((1, 3, 2), "float32")], axis=1)
        np.testing.assert_allclose(model([garbage, np.array([4])]), model([x, np.array([4])]),
                                   atol=1e-5)


def test_leave_one_out_scores_equal_refitting_without_each_row():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 20)]
    brute = [RidgeReadout(3, ridge=0.3).fit_closed_form(np.delete(x, i, 0), np.delete(y, i, 0))(
        x[i : i + 1])[0] for i in range(20)]
    np.testing.assert_allclose(leave_one_out_scores(x, y, 0.3), np.stack(brute), atol=1e-5)
    ridges = [1e-2, 0.3, 10.0]  # one SVD for every ridge, as one fit for each
    np.testing.assert_allclose(leave_one_out_scores(x, y, ridges),
                               np.stack([leave_one_out_scores(x, y, r) for r in ridges]))
    brute = [RidgeReadout(3, ridge=10.0).fit_closed_form(np.delete(x, i, 0), np.delete(y, i, 0))(
        x[i : i + 1])[0] for i in range(20)]
    np.testing.assert_allclose(leave_one_out_scores(x, y, ridges)[2], np.stack(brute), atol=1e-5)


def _dtw(a, b):
    """Textbook DTW: squared frame distances summed along the best path, square-rooted."""
    cost = np.full((len(a) + 1, len(b) + 1), np.inf)
    cost[0, 0] = 0
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d = np.sum((a[i - 1] - b[j - 1]) ** 2)
            cost[i, j] = d + min(cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
    return np.sqrt(cost[-1, -1])


def test_nearest_neighbour_baselines_match_numpy(tmp_path):
    rng = np.random.default_rng(2)
    reference = [rng.normal(size=(int(rng.integers(3, 9)), 2)) for _ in range(8)]
    labels = np.arange(8) % 3
    queries = [rng.normal(size=(int(rng.integers(3, 9)), 2)) for _ in range(5)]
    expected = [labels[np.argmin([_dtw(q, r) for r in reference])] for q in queries]
    np.testing.assert_array_equal(nearest_dtw(reference, labels, queries), expected)
    steps = max(len(r) for r in reference)
    flat = np.stack([resample(r, steps).ravel() for r in reference])
    expected = [labels[np.argmin(((flat - resample(q, steps).ravel()) ** 2).sum(1))]
                for q in queries]
    np.testing.assert_array_equal(nearest_euclidean(reference, labels, queries), expected)
    np.testing.assert_allclose(resample(np.array([[0.0], [2.0]]), 3)[:, 0], [0, 1, 2])
    # The reference set comes back from its file unpadded, to the last value.
    ReferenceSet(reference, labels).save(tmp_path)
    loaded = ReferenceSet.load(tmp_path)
    np.testing.assert_array_equal(loaded.labels, labels)
    for saved, original in zip(loaded.reference, reference, strict=True):
        np.testing.assert_allclose(saved, original, rtol=1e-6)


def test_scores_and_macro_f1_over_occurring_classes():
    summary, per_class = classification_scores([0, 0, 1, 1], [0, 1, 1, 1], ["a", "b", "c"])
    assert summary["accuracy"] == 0.75 and summary["errors"] == 1
    assert per_class["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3),
                              "support": 2}
    assert summary["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)  # "c" never occurs


# End to end: smoke runs on Japanese Vowels. What every suite shares (a smoke run trains,
# re-evaluates, exports and serves in a fresh process) is tests/suites/test_contract.py's;
# the rnn smoke run here is the one it trains.

@pytest.fixture(scope="module")
def rnn_run(smoke_run):
    return smoke_run(SUITE, "model=rnn")


@pytest.fixture(scope="module")
def esn_run(smoke_run):
    return smoke_run(SUITE)  # the default model; shared: copy it before changing it


def _majority_rate(metrics):
    """The test accuracy of always answering the most frequent test class."""
    supports = [row["support"] for row in metrics["per_class"].values()]
    return max(supports) / sum(supports)


@pytest.mark.slow
def test_rnn_run_reports_model_beside_both_baselines_and_beats_the_majority(rnn_run):
    for name in ("history.csv", "confusion.png", "test_predictions.csv",
                 "baselines/reference_set/reference.npz"):
        assert (rnn_run / name).exists(), name
    metrics = json.loads((rnn_run / "metrics.json").read_text())
    assert set(metrics["test"]) == {"rnn", "1nn_euclidean", "1nn_dtw", "minirocket"}
    assert metrics["test"]["1nn_euclidean"]["accuracy"] > 0.9  # the published 1-NN figures
    assert metrics["test"]["1nn_dtw"]["accuracy"] > 0.9
    assert metrics["test"]["minirocket"]["accuracy"] > 0.97  # published: 0.99
    assert len(metrics["per_class"]) == 9 and metrics["data"]["test"] == 370
    # A model that learned nothing fails here: always answering the most frequent of the
    # nine vowels scores 88/370 = 0.24; the smoke rnn reaches 0.93 (seed 0).
    majority = _majority_rate(metrics)
    assert majority == pytest.approx(88 / 370)
    assert metrics["test"]["rnn"]["accuracy"] > majority + 0.5


@pytest.mark.slow
def test_esn_run_is_fitted_in_closed_form_and_calibrated(esn_run):
    assert not (esn_run / "history.csv").exists()  # no epochs
    metrics = json.loads((esn_run / "metrics.json").read_text())
    assert set(metrics["test"]) == {"esn", "1nn_euclidean", "1nn_dtw", "minirocket"}
    # 40 units, smoke preset: far above the majority class's 0.24
    assert metrics["test"]["esn"]["accuracy"] > max(0.8, _majority_rate(metrics) + 0.5)
    _, model = runner.load_run(registry.get(SUITE), esn_run)
    assert float(model.get_layer("calibration").temperature.numpy()) != 1.0
    # The ridge was chosen by leave-one-out and the saved model keeps it.
    assert metrics["fitted"]["ridge"] in RIDGES.tolist()
    assert model.get_layer("readout").ridge == metrics["fitted"]["ridge"]


@pytest.mark.slow
def test_saved_models_serve_raw_sequences_with_lengths_and_ignore_padding(rnn_run, esn_run):
    # Served in this process: test_contract serves every export in a fresh one.
    config, _ = runner.load_run(registry.get(SUITE), rnn_run)
    sequences = load_data(config).sequences["test"][:6]
    padded, lengths = pad(sequences)
    lengths[-1] = 0  # an empty sequence: uniform probabilities, label ""
    for run_dir in (rnn_run, esn_run):
        config, model = runner.load_run(registry.get(SUITE), run_dir)
        serve = tf.saved_model.load(str(run_dir / "export")).signatures["serving_default"]
        out = serve(sequence=tf.constant(padded), length=tf.constant(lengths))
        served = out["probabilities"].numpy()
        labels = out["label"].numpy().astype(str)
        np.testing.assert_allclose(served, model.predict([padded, lengths], verbose=0),
                                   atol=1e-5)
        np.testing.assert_allclose(served[-1], np.full(9, 1 / 9), atol=1e-6)
        assert labels[-1] == "" and all(label in config.classes for label in labels[:-1])
        assert labels[0] == config.classes[int(np.argmax(served[0]))]
        # Padding after a sequence's length changes nothing, whatever its values.
        sequence = sequences[0][None]  # (1, time, 12)
        garbage = np.concatenate([sequence, np.full((1, 9, 12), 50.0, "float32")], axis=1)
        length = np.array([sequence.shape[1]], "int32")
        np.testing.assert_allclose(model.predict([garbage, length], verbose=0),
                                   model.predict([sequence, length], verbose=0), atol=1e-5)


@pytest.mark.slow
def test_evaluate_refits_nothing_and_predict_labels_each_sequence(rnn_run, tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.setattr(ReferenceSet, "fit", None)  # evaluate must not need it
    run = shutil.copytree(rnn_run, tmp_path / "run")  # evaluate writes RUN/evaluations
    assert main(["evaluate", "--run", str(run)]) == 0
    assert "1nn_dtw" in capsys.readouterr().out
    source = registry.get(SUITE)
    config, _ = runner.load_run(source, rnn_run)
    test_file = tmp_path / "new.ts"
    test_file.write_text("\n".join(vowels_ts_lines(config)) + "\n")
    csv_file = tmp_path / "new.csv"  # the same three sequences, one row per frame
    csv_file.write_text("id," + ",".join(f"c{i}" for i in range(12)) + "\n" + "".join(
        f"s{k},{','.join(f'{v:.6f}' for v in frame)}\n"
        for k, sequence in enumerate(load_data(config).sequences["test"][:3]) for frame in sequence))
    assert main(["predict", "--run", str(rnn_run), str(test_file), str(csv_file)]) == 0
    printed = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    assert [where for _, _, where in printed] == ["new.ts:4", "new.ts:5", "new.ts:6",
                                                  "new.csv:s0", "new.csv:s1", "new.csv:s2"]
    for label, probability, _ in printed:
        assert label in config.classes and 0 < float(probability) <= 1
    assert [label for label, _, _ in printed[:3]] == [label for label, _, _ in printed[3:]]
    assert main(["predict", "--run", str(rnn_run), str(tmp_path / "missing.ts")]) == 2
    assert "not found" in capsys.readouterr().err


def vowels_ts_lines(config):
    """A label-free .ts file of three Japanese Vowels test sequences."""
    data = load_data(config)
    yield "@problemName new\n@classLabel false\n@data"
    for sequence in data.sequences["test"][:3]:
        yield ":".join(",".join(f"{v:.6f}" for v in channel) for channel in sequence.T)


@pytest.mark.slow
@pytest.mark.parametrize("extra, message", [
    (["data={toy}", "test_data={other}"], "label 'z', which the training data does not have"),
    (["data={toy}", "model=svm"], "model must be one of rnn, esn"),
    (["data={txt}"], "unknown data"),
])
def test_bad_input_gets_one_line_and_no_run_directory(tmp_path, capsys, extra, message):
    files = {"toy": _toy_csv(tmp_path / "toy.csv"),
             "other": _toy_csv(tmp_path / "other.csv", classes=("a", "z")),
             "txt": tmp_path / "recordings.txt"}
    files["txt"].write_text("x")
    out = tmp_path / "run"
    assert main(["train", SUITE, "--preset", "smoke", "--out", str(out), "--set",
                 *[e.format(**files) for e in extra]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqsuite: error:") and "\n" not in err and message in err, err
    assert not out.exists()
