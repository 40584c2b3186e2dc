"""Run by test_wheel.py inside an environment holding only the core: the modules named on
the command line must be absent, and the layer library must build, train, save and load a
model with zoneout around a layer-normalised LSTM, Bahdanau attention and a CRF, and fit
and run an echo state network."""

import importlib.util
import sys

for module in sys.argv[1:]:
    assert importlib.util.find_spec(module) is None, f"{module} is installed"

import keras  # noqa: E402
import numpy as np  # noqa: E402

import seqsuite  # noqa: E402  (registers the layer library and every suite's layers)
from seqsuite.layers import (  # noqa: E402
    CRF,
    ESN,
    BahdanauAttention,
    CRFLoss,
    LayerNormLSTMCell,
    ZoneoutCell,
)

rng = np.random.default_rng(0)
x = rng.normal(size=(16, 6, 3)).astype("float32")  # (batch, time, features)
tags = rng.integers(0, 4, size=(16, 6))
inputs = keras.Input((6, 3))
cell = ZoneoutCell(LayerNormLSTMCell(8), rate=0.1, seed=1)
memory, h, _ = keras.layers.RNN(cell, return_sequences=True, return_state=True)(inputs)
context, _ = BahdanauAttention(8)(h, memory)  # (batch, 8)
features = keras.layers.Concatenate()([memory, keras.layers.RepeatVector(6)(context)])
potentials = CRF()(keras.layers.Dense(4)(features))
model = keras.Model(inputs, potentials)
model.compile("adam", loss=CRFLoss())
loss = model.fit(x, tags, epochs=2, verbose=0).history["loss"]
assert np.isfinite(loss).all(), loss
model.save("tagger.keras")
again = keras.saving.load_model("tagger.keras")
np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)

series = np.sin(0.1 * np.arange(401))[None, :, None]  # (batch, time, features)
esn = ESN(units=50, spectral_radius=0.9, leak_rate=0.5, ridge=1e-6, seed=0)
esn = esn.fit(series[:, :-1], series[:, 1:], warmup=50)
assert esn.generate(10).shape == (1, 10, 1)
print("ok", seqsuite.__file__)
