# %% [markdown]
# # Forecasting and anomaly detection with recurrent networks
#
# ## Introduction
# This walkthrough trains seqsuite's forecasting suite on the weekly Mauna Loa CO2 series that ships with statsmodels, compares it with naive and seasonal-naive baselines, serves the exported SavedModel on raw (unscaled) windows, and uses the same forecaster to detect injected anomalies. Everything runs offline on a CPU.

# %% [markdown]
# ## Setup
# `SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`).

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from seqsuite import registry
from seqsuite.shared import runner

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
OUT = Path(tempfile.mkdtemp()) / 'run'
suite = registry.get('forecasting')

# %% [markdown]
# ## Configuration
# One dataclass with presets; `key=value` overrides are type-checked, exactly as `seqsuite train forecasting --set ...` does.

# %%
config = runner.resolve_config(suite, PRESET, ['data=co2', 'task=anomaly'])
config

# %% [markdown]
# ## Data
# Chronological train / validation / test split; scaling statistics come from the training part only.

# %%
data = suite.load_data(config)
train_end, val_end = data.bounds
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(data.series[:, 0], color='0.3')
ax.axvspan(train_end, val_end, alpha=0.15, label='validation')
ax.axvspan(val_end, len(data.series), alpha=0.3, label='test')
ax.set_ylabel('CO2 (ppm)')
ax.legend()
{split: w[0].shape for split, w in data.windows.items()}

# %% [markdown]
# ## Model
# `build_model(config)` is the single model builder that training and tuning both use: normalisation inside the model, a recurrent encoder over the window relative to its last step, and a direct multi-step head.

# %%
model = suite.build_model(config)
model.summary()

# %% [markdown]
# ## Training
# The shared runner trains with checkpoints every epoch, evaluates against the baselines, plots and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code: it takes a raw window and returns the forecast in ppm.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
x, y, starts = data.windows['test']
forecast = served.signatures['serving_default'](window=tf.constant(x[-1:]))['forecast'].numpy()[0]
fig, ax = plt.subplots(figsize=(9, 3))
hist = data.series[starts[-1] - 2 * config.window : starts[-1], 0]
ax.plot(np.arange(len(hist)), hist, color='0.4', label='history')
future = np.arange(len(hist), len(hist) + config.horizon)
ax.plot(future, y[-1], '.-', label='truth')
ax.plot(future, forecast, '.-', label='forecast')
ax.legend()
print('MAE of this window:', float(np.abs(forecast - y[-1]).mean()))

# %% [markdown]
# Anomaly detection flags points whose one-step residual is extreme; the run scored it on a copy of the test split with injected spikes and level shifts.

# %%
from IPython.display import Image

print(metrics['anomaly'])
Image(filename=str(OUT / 'anomalies.png'))
