"""Sequence-to-sequence translation with attention: date normalisation, TSV corpora, TED talks."""
