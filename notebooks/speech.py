# %% [markdown]
# # Speech recognition with CTC
#
# ## Introduction
# A recogniser that turns raw audio into text: log-mel features computed inside the model, two strided convolutions, a bidirectional recurrent stack and a character head trained with connectionist temporal classification (CTC). The training data is synthesised offline by eSpeak NG in many voices, accents, speaking rates and pitches, with noise, reverberation, speed and gain augmentation; the test split is spoken by voices never heard in training. We compare greedy decoding with prefix beam search, look at the CTC alignment of a test utterance, and serve the exported SavedModel on WAV file contents.

# %% [markdown]
# ## Setup
# `SEQSUITE_NOTEBOOK_PRESET` picks the preset (the tests use `smoke`). Generated audio is cached under `~/.cache/seqsuite/speech` (or `$SEQSUITE_CACHE`).

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqsuite import registry
from seqsuite.shared.layers.audio import encode_wav
from seqsuite.shared.run import runner

PRESET = os.environ.get('SEQSUITE_NOTEBOOK_PRESET', 'quick')
OUT = Path(tempfile.mkdtemp()) / 'run'
suite = registry.get('speech')

# %% [markdown]
# ## Configuration
# One dataclass with presets; `key=value` overrides are type-checked, exactly as `seqsuite train speech --set ...` does.

# %%
config = runner.resolve_config(suite, PRESET, ['cell=gru'])
config

# %% [markdown]
# ## Data
# Digit strings, Speech Commands keywords and phrases over the thousand commonest English words (wordfreq), each spoken by an eSpeak NG accent with a voice variant. Training, validation and test voices are disjoint.

# %%
data = suite.load_data(config)
test = data.splits['test']
for text, voice, waveform in list(zip(test.texts, test.speakers, test.waveforms))[:6]:
    print(f'{voice:<28}{len(waveform) / 16000:5.2f} s  {text}')
train_voices = {v.split('+')[1] for v in data.splits['train'].speakers}
print('test voices heard in training:', sorted({v.split('+')[1] for v in test.speakers} & train_voices))

# %% [markdown]
# ## Model
# `build_model(config)` holds the whole front end: waveform -> log-mel (per-utterance normalised) -> SpecAugment (training only) -> convolutions -> bidirectional recurrent stack -> character logits, with the blank forced at padded frames so CTC sees each utterance's own length.

# %%
suite.build_model(config).summary()

# %% [markdown]
# ## Training
# The shared runner trains with the CTC loss, measures CER and WER on the unseen voices for greedy decoding and for prefix beam search, plots an alignment and exports.

# %%
metrics = runner.train(suite, config, OUT, preset=PRESET)
print(runner.format_metrics(metrics))

# %% [markdown]
# The log-mel features of the longest test utterance, and below them the posterior of each character the best path emits, where it peaks: CTC's alignment, learnt without frame labels.

# %%
from IPython.display import Image

Image(filename=str(OUT / 'alignment.png'))

# %% [markdown]
# ## Inference
# The SavedModel needs no seqsuite code. Its default signature takes WAV file contents: any sample rate, mono or stereo. A file it cannot use gets an empty transcript and a status saying why, and the rest of the batch is still transcribed.

# %%
served = tf.saved_model.load(str(OUT / 'export'))
speech = test.waveforms[0]
stereo_44k = tf.audio.encode_wav(
    np.stack([np.interp(np.arange(0, len(speech), 16000 / 44100), np.arange(len(speech)), speech)] * 2,
             axis=1).astype('float32'), 44100).numpy()
files = [encode_wav(speech), stereo_44k, b'not a wav file', encode_wav(np.zeros(16000))]
out = served.signatures['serving_default'](wav=tf.constant(files))
print('reference:', test.texts[0])
for name, text, status in zip(['16 kHz mono', '44.1 kHz stereo', 'text file', 'silence'],
                              out['transcript'].numpy(), out['status'].numpy()):
    print(f'{name:<16}{text.decode()!r:<40}{status.decode()}')
