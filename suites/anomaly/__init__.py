"""Anomaly detection and monitoring on labelled recordings (biosignals, service metrics, CSV)."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[anomaly]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "pandas": "pandas",  # reading recordings
    "sklearn": "scikit-learn",  # ROC and PR curves, the Isolation Forest
    "stumpy": "stumpy",  # the matrix profile
    "sktime": "sktime",  # ships the ECG and traffic recordings (read as files, never imported)
}
