"""Sequence classification of multichannel recordings (Japanese Vowels, BasicMotions, .ts or CSV files)."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[classification]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "sktime": "sktime",  # the embedded .ts recordings (read as files), the MiniRocket baseline
    "numba": "numba",  # MiniRocket's compiled transform
    "sklearn": "scikit-learn",  # MiniRocket's ridge classifier
    "dtaidistance": "dtaidistance",  # the 1-NN DTW baseline
    "pandas": "pandas",  # CSV recordings
}
