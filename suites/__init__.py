"""Task suites. Each is a folder with the same four modules:

- `config.py`: `Config` (a `shared.config.TrainConfig` dataclass) and `PRESETS`
  with `smoke`, `quick` and `full`;
- `data.py`: `load_data(config)` returning tf.data pipelines, with an embedded
  default dataset that needs no network;
- `model.py`: the single `build_model(config)` (compiled) and
  `serving(model, config)`, the raw-input serving function for export and its
  input signature (and, optionally, a list of extra layers it uses);
- `train.py`: `evaluate(model, data, config, run_dir)` (metrics, baselines,
  plots) and `main()`, the `python -m seqsuite.suites.<name>.train` entry point; a suite
  whose model is not trained by gradient epochs also defines
  `fit_model(model, data, config, run_dir) -> model`, which the runner and the
  tuner call instead of the shared epoch loop; `callbacks(config)` may add
  Keras callbacks to that loop (e.g. resetting a stateful model);
  `translate`, `predict` or `generate(model, config, **options)` back the
  CLI commands of those names and return the lines to print.

A suite imports `shared`, never another suite.
"""
