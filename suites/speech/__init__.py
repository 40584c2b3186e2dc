"""Speech recognition: raw audio to text with a CTC model, trained on synthesised voices."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[speech]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "espeakng_loader": "espeakng-loader",  # eSpeak NG: the synthetic voices
    "wordfreq": "wordfreq",  # the words they say
    "soundfile": "soundfile",  # FLAC files
    "tensorflow_datasets": "tensorflow-datasets",  # data=tfds:NAME (the tfds extra)
    "importlib_resources": "importlib_resources",
}
