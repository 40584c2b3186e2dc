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

# %% [markdown]
# ## Beyond the ESN
# The layer library gives what ReservoirPy 0.4 gives its users, as Keras layers that save, load and export (docs: *Reservoir computing*). First, speed: a reservoir whose recurrent weights come in blocks (`block_size`) is multiplied by those blocks alone, the same 10% connectivity at a fraction of the cost per step.

# %%
import time

import numpy as np

from seqsuite.layers import (
    NVAR,
    OnlineReadout,
    Reservoir,
    RidgeReadout,
    deep_reservoir,
    intrinsic_plasticity,
)
from seqsuite.shared.data.datasets.chaotic import lorenz

u = np.random.default_rng(0).uniform(-1, 1, (1, 3000, 1)).astype('float32')
for block_size in (None, 50):
    layer = Reservoir(1000, spectral_radius=1.25, leak_rate=0.3, block_size=block_size, seed=0)
    layer(u)  # the first call builds the matrices and compiles the loop
    start = time.perf_counter()
    layer(u)
    print(f'block_size={block_size}: {1e6 * (time.perf_counter() - start) / u.shape[1]:.0f} µs a step')

# %% [markdown]
# Next-generation reservoir computing (Gauthier et al. 2021): delayed copies of the input and their quadratic monomials, and a ridge readout that learns Lorenz-63's step from 400 points.

# %%
lorenz_series = lorenz(1400, dt=0.025, seed=0).astype('float32')
features = np.asarray(NVAR(delay=2, order=2)(lorenz_series[None]))[0]
change = lorenz_series[1:] - lorenz_series[:-1]
nvar_readout = RidgeReadout(3, ridge=2.5e-6).fit_closed_form(features[1:400], change[1:400])
error = np.asarray(nvar_readout(features[400:-1])) - change[400:]
print('NVAR one-step NRMSE:', float(np.sqrt((error**2).mean()) / change[400:].std()))

# %% [markdown]
# Online learning: recursive least squares (the rule of FORCE learning) fits a readout one step at a time; its error falls within the first steps of a periodic target.

# %%
t = np.arange(2501)
target = (np.sin(2 * np.pi * t / 25) + 0.5 * np.sin(2 * np.pi * t / 13))[:, None].astype('float32')
states = np.asarray(Reservoir(200, spectral_radius=0.9, leak_rate=0.5, seed=0)(target[None, :-1]))[0]
rls = OnlineReadout(1, method='rls', alpha=1e-6)
errors = np.asarray(rls.update(states[100:2000], target[101:2001]))
print('mean |error|, first 10 steps:', np.abs(errors[:10]).mean(), ' last 100:', np.abs(errors[-100:]).mean())

# %% [markdown]
# Intrinsic plasticity adapts each unit's gain and bias, without targets, towards a Gaussian activity: a reservoir driven too hard stops saturating.

# %%
saturated = Reservoir(100, spectral_radius=0.9, input_scaling=4.0, input_connectivity=1.0, bias_scaling=0.5, seed=0)
print('activations above 0.95, before:', float((np.abs(saturated(u)) > 0.95).mean()))
intrinsic_plasticity(saturated, u, sigma=0.2, learning_rate=5e-4)
print('after:', float((np.abs(saturated(u)) > 0.95).mean()))

# %% [markdown]
# Diagnostics: the memory curve of a shallow reservoir and of a deep one (two stacked reservoirs, both feeding the readout), against the bound of 40 units.

# %%
import keras

from seqsuite.shared.evaluation.plots import plot_memory
from seqsuite.shared.layers.reservoir.diagnostics import memory_capacity

inputs = keras.Input((None, 1))
deep = keras.Model(inputs, deep_reservoir(inputs, units=[20, 20], spectral_radius=0.9, leak_rate=0.5, seed=0))
shallow = Reservoir(40, spectral_radius=0.9, leak_rate=0.5, seed=0)
curves = {name: memory_capacity(model, max_delay=60, steps=2000)[1] for name, model in {'40 units': shallow, '2 × 20 units, deep': deep}.items()}
Image(filename=str(plot_memory(curves, OUT.parent / 'memory.png', units=40)))
