# %% [markdown]
# # Identifier roles in Python source with a BiLSTM-CRF tagger
#
# ## Introduction
# A bidirectional LSTM reads the tokens of a line of Python and tags each with its role (function and class definitions, parameters, calls, attributes, imports, keywords, literals) in BIO form. The data come from the standard library of the running interpreter: tokens from `tokenize`, roles from `ast`, split by file. We train a CRF head, which scores whole tag sequences and decodes them with Viterbi, look at the transitions it learned, and serve the exported SavedModel on raw text.

# %% [markdown]
# ## Setup

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from seqsuite import registry
from seqsuite.shared.run import runner
from seqsuite.shared.run.config import with_learned

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
OUT = Path(tempfile.mkdtemp()) / 'run'
suite = registry.get('tagging')

# %% [markdown]
# ## Configuration
# `head=crf` (the default) or `head=softmax`; any cell of `shared.layers.encoders`.

# %%
config = runner.resolve_config(suite, PRESET, ['head=crf'])
config

# %% [markdown]
# ## Data
# One sentence per logical line, BIO tags over the role types; the test files never occur in training. A few training sentences:

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
print({split: len(files) for split, files in data.files.items()}, 'files')
short = [s for s in data.sentences['train']
         if 4 <= len(s[0]) <= 12 and not any('\n' in t for t in s[0])]
for tokens, tags in short[:8]:
    print(' '.join(f'{t}/{g}' for t, g in zip(tokens, tags)))

# %% [markdown]
# ## Model
# `build_model(config)`: token and token-shape embeddings, a bidirectional LSTM, per-token tag scores and the `shared.layers.crf.CRF` layer, trained with `CRFLoss` (the negative log-likelihood of the whole tag sequence).

# %%
suite.build_model(config).summary()

# %% [markdown]
# ## Training
# The shared runner trains, scores entity-level precision, recall and F1 beside a most-frequent-tag baseline, and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# The transition scores the CRF learned (row: previous tag, column: next tag); moves such as `O` -> `I-CALL` should score low.

# %%
config, model = runner.load_run(suite, OUT)
transitions = model.get_layer('crf').transitions.numpy()
limit = np.abs(transitions).max()
fig, ax = plt.subplots(figsize=(7, 6))
ax.imshow(transitions, cmap='RdBu_r', vmin=-limit, vmax=limit)
ax.set_xticks(range(len(config.tags)), config.tags, rotation=90)
ax.set_yticks(range(len(config.tags)), config.tags)
ax.set_xlabel('next tag')
ax.set_ylabel('previous tag')

# %% [markdown]
# The SavedModel needs no seqsuite code: it takes space-separated tokens and returns the tokens and their tags.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
texts = ['def area ( self , r ) :', 'return math . pi * r ** 2', 'import os . path']
out = served.signatures['serving_default'](text=tf.constant(texts))
for tokens, tags in zip(out['tokens'].numpy(), out['tags'].numpy()):
    print(' '.join(f'{t.decode()}/{g.decode()}' for t, g in zip(tokens, tags) if t))
