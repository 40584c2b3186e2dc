"""Image captioning: a CNN grid read by a recurrent decoder with Bahdanau attention."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[captioning]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "sklearn": "scikit-learn",  # the embedded digits
    "PIL": "pillow",  # image files
    "sacrebleu": "sacrebleu",  # BLEU
    "tensorflow_datasets": "tensorflow-datasets",  # data=tfds:NAME (the tfds extra)
    "importlib_resources": "importlib_resources",
}
