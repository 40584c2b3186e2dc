"""Sequence tagging, bidirectional RNN with a softmax or CRF head: Python source roles, CoNLL."""
