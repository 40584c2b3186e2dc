import keras
import numpy as np
import pytest
from keras.src import testing

from seqsuite.shared.layers.fusion import LogitFusion, fit_fusion_weights, fusion_nll


def reference(weights, logits):
    """NumPy: softmax(sum_k w_k z_k) over the last axis."""
    z = sum(w * np.asarray(x, dtype="float64") for w, x in zip(weights, logits))
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class LogitFusionTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            LogitFusion, init_kwargs={"initial": [0.5, 2.0]},
            input_shape=[(3, 4), (3, 4)], expected_output_shape=(3, 4),
            expected_num_trainable_weights=0, expected_num_non_trainable_weights=1,
            run_training_check=False)

    def test_matches_the_numpy_reference_and_defaults_to_the_last_path(self):
        rng = np.random.default_rng(0)
        logits = [rng.normal(size=(5, 2, 3)).astype("float32") for _ in range(3)]
        layer = LogitFusion()
        np.testing.assert_allclose(layer(logits), reference([0, 0, 1], logits), atol=1e-6)
        layer.set_fusion_weights([0.3, 1.5, 0.0])
        np.testing.assert_allclose(layer(logits), reference([0.3, 1.5, 0.0], logits), atol=1e-6)

    def test_weights_survive_saving(self):
        rng = np.random.default_rng(1)
        a, b = keras.Input((3,)), keras.Input((3,))
        fusion = LogitFusion(name="fusion")
        model = keras.Model([a, b], fusion([a, b]))
        fusion.set_fusion_weights([0.7, 0.2])
        path = self.get_temp_dir() + "/fused.keras"
        model.save(path)
        again = keras.models.load_model(path)
        x = [rng.normal(size=(4, 3)).astype("float32") for _ in range(2)]
        np.testing.assert_allclose(again(x), reference([0.7, 0.2], x), atol=1e-6)

    def test_paths_of_different_shapes_are_refused(self):
        with pytest.raises(ValueError, match="one shape"):
            LogitFusion()([np.zeros((2, 3)), np.zeros((2, 4))])
        with pytest.raises(ValueError, match="2 initial weights for 3 paths"):
            LogitFusion([1, 1])([np.zeros((2, 3))] * 3)


def test_fitted_weights_recover_the_generating_scales():
    # Labels drawn from softmax(0.8 z1 + 2.0 z2): the NLL minimum lies near (0.8, 2.0).
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(2, 20000, 3))
    p = reference([0.8, 2.0], [z1, z2])
    labels = np.array([rng.choice(3, p=row) for row in p])
    w = fit_fusion_weights([z1, z2], labels)
    np.testing.assert_allclose(w, [0.8, 2.0], atol=0.08)
    assert fusion_nll(w, [z1, z2], labels) <= fusion_nll([0.8, 2.0], [z1, z2], labels)


def test_a_useless_path_gets_no_weight_and_the_fit_never_loses_to_the_start():
    rng = np.random.default_rng(1)
    signal = rng.normal(size=(5000, 2)) * 2
    labels = (rng.random(5000) < reference([1], [signal])[:, 1]).astype(int)
    noise = rng.normal(size=(5000, 2)) * 5  # carries nothing about the labels
    w = fit_fusion_weights([noise, signal], labels)
    assert w[0] < 0.03 and abs(w[1] - 1.0) < 0.1
    assert (fusion_nll(w, [noise, signal], labels)
            <= fusion_nll([0, 1], [noise, signal], labels))
    constant = np.zeros((5000, 2))  # equal logits: the ridge keeps the step finite
    assert np.all(np.isfinite(fit_fusion_weights([constant, signal], labels)))
