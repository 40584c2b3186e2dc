# %% [markdown]
# # Reading handwritten digit strings: CNN + bidirectional RNN + CTC
#
# ## Introduction
# A text-line recogniser in the CRNN style (Shi et al. 2016): two convolutions and poolings turn a line image into a sequence of 4-pixel columns, a bidirectional recurrent stack reads them left to right and right to left, and a character head is trained with connectionist temporal classification (CTC), so no character positions are ever labelled. The lines are composed from the real handwritten digits that ship with scikit-learn, and the digit images of the test lines are never used in training. We compare greedy decoding with prefix beam search and serve the exported SavedModel on PNG bytes of any size and colour.

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
suite = registry.get('vision')

# %% [markdown]
# ## Configuration
# One dataclass with presets; `key=value` overrides are type-checked, exactly as `seqsuite train vision --set ...` does.

# %%
config = runner.resolve_config(suite, PRESET, ['cell=gru'])
config

# %% [markdown]
# ## Data
# Lines of 3 to 8 digits, each a real 8x8 handwritten digit scaled to 28x28, placed with random gaps and vertical jitter on a 32-row line. The 1,797 digit images are split per digit before any line is composed.

# %%
data = suite.load_data(config)
test = data.splits['test']
print({split: len(lines) for split, lines in data.splits.items()}, 'characters:', data.learned['characters'])
print('test texts:', test.texts[:6])

# %% [markdown]
# ## Model
# Conv 3x3 -> pool -> conv 3x3 -> pool gives one feature vector per 4 columns; a Keras mask marks the columns the line covers, and the blank is forced past it, so CTC sees each line's own length.

# %%
from seqsuite.shared.run.config import with_learned

suite.build_model(with_learned(config, data.learned)).summary()

# %% [markdown]
# ## Training
# The shared runner trains with the CTC loss, measures character and sequence accuracy on lines of unseen digit images for greedy decoding and for prefix beam search, draws a few test lines with their readings and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %%
from IPython.display import Image

Image(filename=str(OUT / 'examples.png'))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code. Its default signature takes PNG or JPEG bytes: any size (resized to 32 rows in the graph), grey, RGB or RGBA, dark ink on light paper or the reverse. Bytes that are not an image get an empty text and a status saying why.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
ink = (test.images[0, :, : test.widths[0], 0] * 255).astype('uint8')
paper = np.repeat(255 - np.kron(ink, np.ones((2, 2), 'uint8'))[..., None], 3, -1)
files = [to_png(ink), to_png(paper), b'not an image']
out = served.signatures['serving_default'](image=tf.constant(files))
print('reference:', test.texts[0])
for name, text, status in zip(['grey line', 'RGB, twice the size, dark ink', 'text bytes'],
                              out['text'].numpy(), out['status'].numpy()):
    print(f'{name:<32}{text.decode()!r:<14}{status.decode()}')

# %% [markdown]
# ## Tuning
# `seqsuite tune vision --tuner bayesian --max-trials 10` searches cell, width, depth, filters, dropout and the learning rate (`train.search_space`).
