"""Echo state networks on chaotic series: prediction, closed-loop generation, NARMA identification."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[reservoir]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "pandas": "pandas",  # series CSV files
}
