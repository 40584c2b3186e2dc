# %% [markdown]
# # Captioning scenes of handwritten digits: CNN + recurrent decoder with visual attention
#
# ## Introduction
# An image captioner in the style of Show, Attend and Tell (Xu et al. 2015): three convolutions and poolings turn an image into a grid of feature vectors, each with a learned vector for where it is, and a recurrent decoder writes the caption word by word, attending over the grid with Bahdanau attention (the library's `AttentionWrapper`). It is trained with teacher forcing and decodes greedily or with beam search. The scenes are composed from the real handwritten digits that ship with scikit-learn; the test scenes show combinations of digits and relations never seen in training, drawn with digit images never used in training. We look at where the decoder looked for each word, compare with a decoder without attention, and serve the exported SavedModel on PNG bytes.

# %% [markdown]
# ## Setup
# `SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`).

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite import registry
from seqsuite.shared.data.images import to_png
from seqsuite.shared.run import runner

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
OUT = Path(tempfile.mkdtemp()) / 'run'
suite = registry.get('captioning')

# %% [markdown]
# ## Configuration
# One dataclass with presets; `key=value` overrides are type-checked, exactly as `seqsuite train captioning --set ...` does.

# %%
config = runner.resolve_config(suite, PRESET, ['cell=gru', 'attention=true'])
config

# %% [markdown]
# ## Data
# Each scene holds two digits side by side ("to the left of") or one over the other ("above"), large or small, or two or three copies of one digit ("three copies of 4"). Two digits of a pair always differ and lie on one line (never diagonal), so every scene has one caption. The 1,797 digit images are split per digit before any scene is composed, and the test split keeps its own combinations: the pairs (a, b) with b = a + 3 (mod 10) "to the left of" and b = a + 7 (mod 10) "above", and the counts (digit, copies) (3, 2), (8, 2), (2, 3) and (7, 3).

# %%
from seqsuite.suites.captioning.data import held_out

data = suite.load_data(config)
test = data.splits['test']
print({split: len(scenes) for split, scenes in data.splits.items()}, 'words:', len(data.learned['words']))
print('test captions:', [refs[0] for refs in test.captions[:4]])
print('held out, left of:', [(a, b) for a in range(10) for b in range(10) if held_out(a, b, 'left of')])
print('held out, counts:', [(d, n) for d in range(10) for n in (2, 3) if held_out(d, n, 'count')])

# %% [markdown]
# ## Model
# The grid is `image_size / 8` cells a side; the decoder starts from the mean of the grid and attends over all of it at every word.

# %%
from seqsuite.shared.run.config import with_learned

suite.build_model(with_learned(config, data.learned)).summary()

# %% [markdown]
# ## Training
# The shared runner trains with teacher forcing (cross-entropy on the next word), then measures BLEU-4, exact match and exact match per relation on the unseen combinations, for greedy decoding and beam search, draws the attention of each word of a few test captions and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %%
from IPython.display import Image

Image(filename=str(OUT / 'attention.png'))

# %% [markdown]
# ## Without attention
# The same decoder started from the pooled grid and never looking again: `--set attention=false`. `python -m benchmarks.captioning` compares the two on the quick preset.

# %%
plain = runner.train(suite, runner.resolve_config(suite, PRESET, ['attention=false']), OUT.with_name('plain'), preset=PRESET)
print({name: round(m['test']['beam']['exact_match'], 3) for name, m in (('attention', metrics), ('pooled grid only', plain))})

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code. Its default signature takes PNG or JPEG bytes: any size (resized keeping the aspect ratio and padded in the graph), grey, RGB or RGBA, dark ink on light paper or the reverse. It returns the caption, the attention of each word over the grid, and a status; bytes that are not an image get an empty caption.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
scene = (test.images[0, ..., 0] * 255).astype('uint8')
paper = np.repeat(255 - np.kron(scene, np.ones((3, 3), 'uint8'))[..., None], 3, -1)
out = served.signatures['serving_default'](image=tf.constant([to_png(scene), to_png(paper), b'not an image']))
print('reference:', test.captions[0][0])
for name, caption, status in zip(['grey scene', 'RGB, 3x the size, dark ink', 'text bytes'],
                                 out['caption'].numpy(), out['status'].numpy()):
    print(f'{name:<30}{caption.decode()!r:<44}{status.decode()}')
print('attention:', out['attention'].shape)

# %% [markdown]
# ## Tuning
# `seqsuite tune captioning --tuner bayesian --max-trials 10` searches the cell, widths, filters, attention on or off and the learning rate (`train.search_space`).
