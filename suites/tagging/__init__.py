"""Sequence tagging, bidirectional RNN with a softmax or CRF head: Python source roles, CoNLL."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[tagging]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "pycrfsuite": "python-crfsuite",  # the feature-CRF baseline (CRFsuite)
    "tensorflow_datasets": "tensorflow-datasets",  # data=tfds:NAME (the tfds extra)
    "importlib_resources": "importlib_resources",
}
