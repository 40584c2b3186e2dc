# %% [markdown]
# # Classifying multichannel recordings: a recurrent classifier and an echo state network
#
# ## Introduction
# Nine speakers each said the Japanese vowels /ae/; every utterance is 7 to 29 frames of 12 LPC cepstrum coefficients, and the task is to tell the speaker. We train two classifiers on the official training split and score them on the official test split: a bidirectional LSTM read out by attention pooling (trained by backpropagation) and an echo state network (fixed random reservoirs at several time scales whose states, pooled over each utterance into statistics, feed a ridge readout fitted in closed form). Beside them stand the baselines a practitioner would try first, 1-nearest-neighbour with the Euclidean distance and with dynamic time warping, and MiniRocket, fitted in the same run. Finally we serve the exported SavedModel on raw sequences of different lengths.

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
from seqsuite.shared.run import runner
from seqsuite.shared.run.config import with_learned
from seqsuite.suites.classification.data import pad

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
OUT = Path(tempfile.mkdtemp())
suite = registry.get('classification')

# %% [markdown]
# ## Configuration
# One dataclass with presets; `key=value` overrides are type-checked, exactly as `seqsuite train classification --set ...` does. `model=rnn` is the recurrent classifier; `model=esn` the echo state network.

# %%
config = runner.resolve_config(suite, PRESET, ['data=japanese_vowels', 'model=rnn'])
config

# %% [markdown]
# ## Data
# The recordings are the UEA/UCR archive's `.ts` files that the sktime package ships, read with the suite's own `.ts` reader. Each sequence keeps its own length; validation is a stratified tenth of the training utterances.

# %%
data = suite.load_data(config)
config = with_learned(config, data.learned)
for split, sequences in data.sequences.items():
    lengths = [len(s) for s in sequences]
    print(f'{split:<6}{len(sequences):>4} utterances, {min(lengths)}-{max(lengths)} frames, '
          f'per speaker {np.bincount(data.labels[split]).tolist()}')

# %% [markdown]
# ## Model
# The sequence and its length go in; `LengthMask` turns the length into the Keras mask, so the bidirectional encoder and the attention pooling skip the padding. Channels are standardised inside the model with training statistics, so it takes raw values.

# %%
suite.build_model(config).summary()

# %% [markdown]
# ## Training
# The shared runner trains by epochs, keeps the 1-NN reference set under `baselines/`, scores everything on the test split, draws the confusion matrix and exports.

# %%
metrics = runner.train(suite, config, OUT / 'rnn', preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# The echo state network goes through the same runner; its readout is fitted in closed form, and its ridge and softmax temperature are the ones with the lowest log loss on the readout's exact leave-one-out scores of the training utterances. Its reservoirs' leak rates run from 1 (units that follow the last few frames) down to a time constant that is a fraction (`time_constant`) of the median training length, so the same defaults suit short utterances and long recordings; `fitted` shows what this data gave.

# %%
esn_config = runner.resolve_config(suite, PRESET, ['model=esn'])
esn_metrics = runner.train(suite, esn_config, OUT / 'esn', preset=PRESET)
print(runner.format_metrics({'test': esn_metrics['test'], 'fitted': esn_metrics['fitted']}))

# %%
from IPython.display import Image

Image(filename=str(OUT / 'rnn' / 'confusion.png'))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code: it takes a zero-padded batch `sequence` (batch, time, channels) and each sequence's `length`, and returns the class probabilities and the most likely speaker.

# %%
served = tf.saved_model.load(str(OUT / 'rnn' / 'export')).signatures['serving_default']
sequences = data.sequences['test'][:5]
padded, lengths = pad(sequences)
out = served(sequence=tf.constant(padded), length=tf.constant(lengths))
truth = [data.classes[i] for i in data.labels['test'][:5]]
for n, label, p, true in zip(lengths, out['label'].numpy(), out['probabilities'].numpy(), truth):
    print(f'{n:>3} frames: speaker {label.decode()} (p={p.max():.2f}), truly {true}')
