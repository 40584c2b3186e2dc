import numpy as np
from keras.src import testing

from seqsuite.shared.layers.masking import LengthMask, valid_steps


def reference(length, divisors, steps):
    """NumPy: mask[b, t] = t < ceil(...ceil(length[b] / d1)... / dn)."""
    valid = np.array(length, dtype=float)
    for d in divisors:
        valid = np.ceil(valid / d)
    return np.arange(steps)[None, :] < valid[:, None]


class LengthMaskTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            LengthMask, init_kwargs={"divisors": (2, 3)},
            input_shape=[(2, 5, 3), (2,)], input_dtype=["float32", "int32"],
            expected_output_shape=(2, 5, 3), expected_num_trainable_weights=0,
            run_training_check=False, supports_masking=True)

    def test_mask_matches_the_numpy_reference(self):
        x = np.ones((4, 7, 2), "float32")
        for divisors in [(), (4,), (160, 2, 1), (3, 2)]:
            length = np.array([0, 1, 17, 2000], "int32")
            mask = LengthMask(divisors).compute_mask([x, length])
            np.testing.assert_array_equal(np.asarray(mask), reference(length, divisors, 7))
            np.testing.assert_array_equal(np.asarray(valid_steps(length, divisors)),
                                          reference(length, divisors, 10_000).sum(1).clip(0))

    def test_values_pass_unchanged_and_the_config_round_trips(self):
        x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
        layer = LengthMask((4,))
        np.testing.assert_array_equal(layer([x, np.array([1, 20])]), x)
        assert LengthMask.from_config(layer.get_config()).divisors == [4]
        assert int(valid_steps(20, (4,))) == 5 and int(valid_steps(21, (4,))) == 6

    def test_bad_divisor_names_the_argument(self):
        with self.assertRaisesRegex(ValueError, "divisors must be >= 1"):
            LengthMask((0,))
