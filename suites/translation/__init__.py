"""Sequence-to-sequence with attention: CMUdict grapheme to phoneme, date normalisation, TSV corpora, TED talks."""
