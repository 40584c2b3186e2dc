# %% [markdown]
# # Date normalisation with an attention decoder
#
# ## Introduction
# A sequence-to-sequence model with a bidirectional LSTM encoder and a Luong attention decoder learns to rewrite dates written by people ('Tuesday, 3rd of March 1998', '03/04/98', '4 mar. 1998') as ISO 8601. The test split holds dates and surface forms the model never saw. We compare greedy decoding with beam search, look at the attention, and serve the exported SavedModel on raw strings.

# %% [markdown]
# ## Setup

# %%
import os
import tempfile
from pathlib import Path

import tensorflow as tf

from seqsuite import registry
from seqsuite.shared import runner
from seqsuite.shared.config import with_learned

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
OUT = Path(tempfile.mkdtemp()) / 'run'
suite = registry.get('translation')

# %% [markdown]
# ## Configuration

# %%
config = runner.resolve_config(suite, PRESET, ['attention=luong'])
config

# %% [markdown]
# ## Data
# A seeded generator; here are a few test pairs.

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
data.pairs['test'][:8]

# %% [markdown]
# ## Model
# `build_model(config)` vectorises the raw strings inside the model, so the exported model takes text.

# %%
suite.build_model(config).summary()

# %% [markdown]
# ## Training
# The shared runner trains, scores greedy and beam search, plots attention heatmaps and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
texts = ['Tuesday, 3rd of March 1998', '04/05/98', 'the 1st of june, 2001']
served.signatures['serving_default'](text=tf.constant(texts))['translation']

# %%
from IPython.display import Image

Image(filename=str(OUT / 'attention_0.png'))
