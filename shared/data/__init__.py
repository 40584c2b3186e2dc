"""Data helpers: user files and TFDS sources, splits, tabular and text preparation, images."""
