"""The public layer API: one list, the same objects under `seqsuite` and `seqsuite.layers`."""

import keras

import seqsuite
import seqsuite.layers


def test_package_attributes_are_the_public_layers():
    assert set(seqsuite.layers.__all__) == seqsuite._LAYERS
    for name in seqsuite.layers.__all__:
        assert getattr(seqsuite, name) is getattr(seqsuite.layers, name)


def test_every_public_layer_is_registered_with_keras():
    for name in seqsuite.layers.__all__:
        obj = getattr(seqsuite.layers, name)
        if isinstance(obj, type) and issubclass(obj, (keras.layers.Layer, keras.losses.Loss)):
            assert keras.saving.get_registered_object(f"seqsuite>{name}") is obj, name
