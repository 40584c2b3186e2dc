"""Sequence classification of multichannel recordings (Japanese Vowels, BasicMotions, .ts or CSV files)."""
