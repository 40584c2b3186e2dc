"""Character- or word-level language modelling and text generation (Python docs, Shakespeare, your text)."""
