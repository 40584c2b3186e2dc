"""Text-line recognition: handwritten digit strings read by conv columns, a bidirectional RNN and CTC."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[vision]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "sklearn": "scikit-learn",  # the embedded digits
    "PIL": "pillow",  # image files
}
