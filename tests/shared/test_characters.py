import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src import testing

from seqsuite.shared.layers.characters import CharacterCNN


def reference(layer: CharacterCNN, tokens) -> np.ndarray:
    """NumPy: begin marker, code points modulo buckets (+3), end marker, padding 0; the
    embedding, a 'same' convolution with tanh, the max over the token's own ids."""
    table = np.asarray(layer.embedding.embeddings)
    kernel, bias = (np.asarray(w) for w in layer.conv.weights)  # (width, dim, filters)
    length, width = layer.max_chars + 2, kernel.shape[0]
    out = np.zeros((*np.shape(tokens), layer.filters))
    for index in np.ndindex(*np.shape(tokens)):
        token = np.asarray(tokens)[index]
        if token == "":
            continue
        ids = [1] + [ord(c) % layer.buckets + 3 for c in token[: layer.max_chars]] + [2]
        ids = ids + [0] * (length - len(ids))
        e = np.pad(table[ids], [((width - 1) // 2, width // 2), (0, 0)])
        h = np.tanh(np.stack([np.einsum("wd,wdf->f", e[j : j + width], kernel)
                              for j in range(length)]) + bias)
        out[index] = h[np.asarray(ids) != 0].max(axis=0)
    return out


class CharacterCNNTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            CharacterCNN, init_kwargs={"filters": 6, "embedding_dim": 4, "max_chars": 5},
            input_data=tf.constant([["a", "Bc"], ["déjà", ""]]), expected_output_shape=(2, 2, 6),
            expected_num_trainable_weights=3, run_training_check=False,
            run_mixed_precision_check=False)

    def test_matches_the_numpy_reference(self):
        layer = CharacterCNN(filters=5, width=3, embedding_dim=4, max_chars=6, buckets=64, seed=1)
        tokens = np.array([["The", "cat's", "whiskers-longer-than-six", ""],
                           ["1999", "Zürich", "", ""]])
        np.testing.assert_allclose(layer(tokens), reference(layer, tokens), atol=1e-5)

    def test_padding_is_zero_and_spelling_matters(self):
        layer = CharacterCNN(filters=8, seed=0)
        out = np.asarray(layer(np.array([["", "running", "runnin", "running"]])))
        assert np.all(out[0, 0] == 0)
        np.testing.assert_array_equal(out[0, 1], out[0, 3])
        assert not np.allclose(out[0, 1], out[0, 2])

    def test_saved_and_loaded_in_a_model(self):
        tokens = keras.Input((None,), dtype="string")
        model = keras.Model(tokens, CharacterCNN(filters=3, seed=2)(tokens))
        path = self.get_temp_dir() + "/chars.keras"
        model.save(path)
        x = np.array([["Hello", "world", ""]])
        np.testing.assert_allclose(keras.models.load_model(path)(x), model(x), atol=1e-6)

    def test_a_bad_argument_is_named(self):
        with pytest.raises(ValueError, match="filters must be a positive integer"):
            CharacterCNN(filters=0)
