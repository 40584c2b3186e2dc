# %% [markdown]
# # Character-level language model on Python's documentation
#
# ## Introduction
# A stateful LSTM reads the English text of Python's documentation topics (it ships with CPython) in consecutive windows, carrying its state from one window to the next. We measure bits per character against unigram and trigram baselines and sample text from the exported SavedModel.

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
suite = registry.get('language_model')

# %% [markdown]
# ## Configuration

# %%
config = runner.resolve_config(suite, PRESET, ['cell=lstm'])
config

# %% [markdown]
# ## Data
# Each split is cut into `batch_size` streams; batch k holds window k of every stream, so consecutive batches continue the text.

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
texts, targets = next(iter(data.train))
print(len(data.vocabulary), 'symbols;', repr(texts[0].numpy().decode()[:80]))

# %% [markdown]
# ## Model

# %%
suite.build_model(config).summary()

# %% [markdown]
# ## Training

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# The SavedModel's signature takes prompts and returns the prompt followed by sampled text.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
out = served.signatures['serving_default'](
    prompt=tf.constant(['The for statement']), length=tf.constant(200),
    temperature=tf.constant(0.8), seed=tf.constant(0))
print(out['text'].numpy()[0].decode())
