"""Long-term memory: adding, copy and pixel-by-pixel digits; gradient flow through time."""
