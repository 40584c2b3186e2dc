# %% [markdown]
# # Sentiment classification with attention pooling
#
# ## Introduction
# A bidirectional LSTM reads a review, attention pooling weighs its words into one vector, and a softmax layer classifies it. The embedded reviews follow exact compositional rules (negation, intensifiers, 'but' and 'although', long neutral asides), and the test split pairs aspects, adjectives and constructions in ways never seen in training. We compare the model with a bag-of-words logistic regression on the same split, look at the words the model attends to, and serve the exported SavedModel on raw strings.

# %% [markdown]
# ## Setup
# `SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`).

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
suite = registry.get('sentiment')

# %% [markdown]
# ## Configuration
# One dataclass with presets; `key=value` overrides are type-checked, exactly as `seqsuite train sentiment --set ...` does.

# %%
config = runner.resolve_config(suite, PRESET, ['cell=lstm', 'bidirectional=true'])
config

# %% [markdown]
# ## Data
# A seeded generator; the label follows the rules written out in `suites/sentiment/reviews.py` (the clause after 'but' decides, the clause 'although' introduces never does, 'and' adds clause scores, an intensifier doubles a score and a negation flips it). A few test reviews:

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
rows = zip(data.texts['test'], data.labels['test'], data.constructions['test'])
for text, label, construction in list(rows)[:6]:
    print(f'{config.labels[label]:<4}{construction:<16}{text}')

# %% [markdown]
# ## Model
# `build_model(config)` vectorises the text inside the model, embeds it, runs a bidirectional recurrent encoder and pools it with `AttentionPooling`; the serving signature also prepares raw text, so the exported model takes strings.

# %%
suite.build_model(config).summary()

# %% [markdown]
# ## Training
# The shared runner trains, scores the model beside the bag-of-words baseline (overall, per class and per construction), shades the words of three test reviews by their attention weight and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code. It returns the class probabilities and the most likely label; a text with no tokens gets uniform probabilities and the label ''.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
texts = ['The plot was not bad, although the acting was dull.',
         'The ending was dull but the cast was truly superb.', '']
out = served.signatures['serving_default'](text=tf.constant(texts))
for text, label, p in zip(texts, out['label'].numpy(), out['probabilities'].numpy()):
    print(f'{label.decode() or "(empty)":<8}{p.round(3)}  {text!r}')

# %%
from IPython.display import Image

Image(filename=str(OUT / 'attention_0.png'))
