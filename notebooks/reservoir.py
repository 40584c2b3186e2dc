# %% [markdown]
# # Echo state networks on chaotic series
#
# ## Introduction
# An echo state network keeps a fixed random recurrent reservoir and fits only a linear readout, in closed form. We predict the Mackey-Glass series one step ahead, let the network run in closed loop on its own predictions, and compare it with an LSTM trained by backpropagation through time on the same data.

# %% [markdown]
# ## Setup

# %%
import os
import tempfile
from pathlib import Path

import tensorflow as tf

from seqsuite import registry
from seqsuite.shared.run import runner
from seqsuite.shared.run.config import with_learned

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
OUT = Path(tempfile.mkdtemp()) / 'run'
suite = registry.get('reservoir')

# %% [markdown]
# ## Configuration
# Reservoir hyperparameters: size, spectral radius, leak rate, input scaling, connectivity and the ridge penalty of the readout.

# %%
config = runner.resolve_config(suite, PRESET, ['task=generate'])
config

# %% [markdown]
# ## Data
# A seeded Mackey-Glass generator (delay 17); chronological splits.

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
print(data.series.shape, data.bounds)

# %% [markdown]
# ## Model
# `build_model(config)` returns a `shared.layers.reservoir.ESN`: a Keras model whose `fit` solves the ridge regression in one pass.

# %%
esn = suite.build_model(config)
esn = suite.closed_form.fit(esn, data, config)
print('validation MSE (standardised):', suite.closed_form.validation_loss(esn, data, config))

# %% [markdown]
# ## Training
# The shared runner fits the ESN, trains the LSTM baseline, scores both, plots and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# Closed-loop generation against the truth:

# %%
from IPython.display import Image

Image(filename=str(OUT / 'generation.png'))

# %%
served = tf.saved_model.load(str(OUT / 'export'))
window = tf.constant(data.inputs[None, :200])
served.signatures['serving_default'](series=window)['prediction'].shape
