"""Long-term memory: adding, copy and pixel-by-pixel digits; gradient flow through time."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[memory]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "sklearn": "scikit-learn",  # the pixel-by-pixel digits
}
