"""seqsuite's shared code, in four rooms a reader can tell apart.

- `layers`: the layer library (cells, attention, decoding, CRF, CTC, echo state
  reservoirs, probabilistic heads, the audio front end, recurrent encoders).
  It imports nothing of the other rooms and nothing of the suites, so it can
  be used on its own: `pip install seqsuite` and `from seqsuite.layers import ...`.
- `run`: the run machinery (the suite contract, configs, the runner and its
  run directories, training, export, tf.distribute, file safety).
- `data`: data helpers (file and TFDS sources, splits, tabular and text
  preparation, images, generated data sets).
- `evaluation`: metrics, anomaly scoring, diagnostics and plots.

`errors` and `checks` sit beside the rooms: every room may use them.
`tests/test_layout.py` checks these rules.
"""
