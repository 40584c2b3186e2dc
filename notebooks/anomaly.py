# %% [markdown]
# # Anomaly detection and monitoring
#
# ## Introduction
# A detector learns what normal looks like from the clean start of a recording, chooses its alarm threshold on held-out clean rows, then scores every later row. We run it on the UCR anomaly archive's InternalBleeding16 recording (one labelled anomaly) beside the detectors a practitioner would otherwise use (matrix-profile discords, an Isolation Forest, a rolling z-score), then score a new recording from a CSV with the trained run, as `seqsuite detect` does.

# %% [markdown]
# ## Setup

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf

from seqsuite import registry
from seqsuite.shared.run import runner
from seqsuite.shared.run.config import with_learned

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
OUT = Path(tempfile.mkdtemp()) / 'run'
suite = registry.get('anomaly')

# %% [markdown]
# ## Configuration
# The detector (`forecast`, `autoencoder` or `esn`), its window, the threshold rule and the smoothing span; the embedded recording by default, or a CSV with `label_column`, `time_column` and `train_end`.

# %%
config = runner.resolve_config(suite, PRESET)
config

# %% [markdown]
# ## Data
# The first 1,200 rows are clean: three quarters train the detector, the last quarter calibrates the scores and the threshold. Labels are only used to measure.

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
print(data.recording.values.shape, 'clean rows:', data.clean_end, 'training rows:', data.fit_end)

# %% [markdown]
# ## Model
# Each detector maps a frame (the `window` rows before a point, and the point) to its estimate of the point; the score is the root mean square of the residuals' robust z over channels.

# %%
model = suite.build_model(config)
model.summary()

# %% [markdown]
# ## Training
# The shared runner fits the detector, calibrates its threshold, scores the references on the same rows and exports a SavedModel.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# The scores, the smoothed scores, the threshold and the labelled range:

# %%
from IPython.display import Image

Image(filename=str(OUT / 'anomalies.png'))

# %% [markdown]
# A new recording, here the same signal with a spike added, scored by the SavedModel with plain TensorFlow: raw values in, a score and a flag per row out.

# %%
values = data.recording.values.copy()
values[5000:5004] += 5 * values.std()
served = tf.saved_model.load(str(OUT / 'export'))
out = served.signatures['serving_default'](values=tf.constant(values, tf.float32))
print('flagged rows near the spike:', np.flatnonzero(out['flag'].numpy()[4990:5030]) + 4990)

# %% [markdown]
# The same from a CSV through `seqsuite detect --run RUN --data new.csv`, which writes `anomalies.csv` and a plot under `RUN/detections/`:

# %%
from seqsuite.cli import main

new = OUT.parent / 'new_recording.csv'
pd.DataFrame({'value': values[:, 0], 'is_anomaly': data.recording.labels.astype(int)}).to_csv(new, index=False)
main(['detect', '--run', str(OUT), '--data', str(new)])
