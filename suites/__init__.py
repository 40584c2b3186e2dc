"""Task suites: one package per task, each stating its whole contract in one object.

Writing a suite (read `forecasting/` first: every suite has the same files):

- `__init__.py`: a docstring whose first line `seqsuite list` shows, and `REQUIRES`,
  the packages the suite imports beyond the core (import name -> pip name): the
  same packages as its extra in pyproject.toml, `pip install 'seqsuite[<name>]'`
  (a test keeps the two in step). Nothing else: listing suites must not import
  TensorFlow. Since `import seqsuite` imports every suite's `model.py`, a model
  imports no package of its extra (import those inside the functions that need them).
- `config.py`: `Config`, a dataclass subclassing `seqsuite.shared.run.config.TrainConfig`,
  and `PRESETS` with `smoke` (seconds, for tests), `quick` (minutes, for demos)
  and `full`. Mark where data comes from with `data_field(...)` (the fields
  `seqsuite evaluate --set` may repoint) and what the training data decides
  (vocabulary sizes, tag sets, scaling) with `learned_field()`; validate in
  `__post_init__` with `ConfigError`s. It imports nothing heavy: the command
  line checks a whole config with it before TensorFlow loads. A suite that
  splits its data itself takes `val_fraction` and `test_fraction`.
- `data.py`: `load_data(config)` returning the suite's dataclass extending
  `seqsuite.shared.run.suite.SuiteData`: its own fields plus `train`, `val`, `test`
  (tf.data), `adapt` (layer name -> training sample) and `learned` (learned
  field -> value), an embedded default that needs no network, and one-line
  `DataError`s (read files with `seqsuite.shared.data.sources`).
- `model.py`: the single `build_model(config)` (compiled), the Keras layers the
  suite defines (registered under the `seqsuite` package), and
  `serving(model, config) -> (fn, input_signature[, track])`, the raw-input
  function the SavedModel exports.
- `train.py`: `evaluate(model, data, config, where) -> metrics` (it measures and
  trains nothing; `where`, a `shared.run.suite.Evaluation`, names the folder it
  writes plots and tables into, the run directory and the run's fitted baselines),
  `search_space(hp) -> {config key: value}`, optionally the suite's baselines
  (`shared.run.baselines.Baseline` classes, listed by a `baselines(config)` that
  `suite.py` passes on; the runner fits them once, at training, and saves each in
  `RUN/baselines/<name>/`), inference commands
  `(model, config, **options) -> lines`, and `main()` for
  `python -m seqsuite.suites.<name>.train`.
- `suite.py`: `SUITE = seqsuite.shared.run.suite.Suite(...)`, the contract object. The
  runner, the tuner, the command line, the notebooks and the tests use only it.

A suite imports `seqsuite.shared`, never another suite.
"""
