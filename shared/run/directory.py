"""A run directory and everything done to it: create, lock, resume, evaluate, export.

    RUN/
      config.json, learned.json   what the user asked for, what the data decided
      checkpoint/                 while training: the last finished epoch (resume)
      model.keras                 the trained model
      baselines/<name>/           the fitted baselines (`shared.run.baselines`)
      metrics.json, *.png         the evaluation at the end of training
      export/                     the serving SavedModel
      run.json                    suite, preset, fit time: written last, once
      evaluations/<name>/         each later `seqsuite evaluate`: metrics.json, plots

`run.json` is the mark of a finished run: it is written once, atomically, after
everything else, so a directory without it is an unfinished run (resumed by the same
`seqsuite train` command) or not a run at all. Nothing training wrote is ever rewritten
by a later command: `evaluate` writes a new folder under `evaluations/`, `export` replaces
only an export, and only with `--overwrite`. A damaged directory (a file missing,
truncated or edited by hand) is answered with one line naming the file and the fix.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import zipfile
from functools import cached_property
from pathlib import Path

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.config import config_to_dict, load_config, save_config
from seqsuite.shared.run.files import (
    MARKER,
    DirectoryLock,
    check_target,
    is_empty,
    is_ours,
    mark,
    move_into_place,
    read_json,
    replacing,
    staging_path,
    write_bytes_atomic,
    write_text_atomic,
)

RUN_JSON = "run.json"
EVALUATIONS = "evaluations"


def _retrain(path: Path) -> str:
    return f"train it again (seqsuite train SUITE --out {path} --overwrite)"


def suite_of(path: Path) -> str:
    """The suite name a finished run directory was trained with, after checking that the
    files a run needs are there (no TensorFlow)."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"{path} is not a directory; pass the --out directory of a "
                          "completed `seqsuite train`")
    if not (path / RUN_JSON).is_file():
        if (path / "checkpoint").is_dir() or (path / "config.json").is_file():
            raise ConfigError(f"{path} is an unfinished run (training stopped before the end); "
                              "rerun the same `seqsuite train` command to resume it")
        raise ConfigError(f"{path} is not a finished seqsuite run (no run.json); pass the "
                          "--out directory of a completed `seqsuite train`")
    try:
        name = json.loads((path / RUN_JSON).read_text(encoding="utf-8"))["suite"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}/run.json is damaged; {_retrain(path)}") from err
    if not isinstance(name, str):
        raise ConfigError(f"{path}/run.json is damaged; {_retrain(path)}")
    for file in ("config.json", "learned.json", "model.keras"):
        if not (path / file).is_file():
            raise ConfigError(f"{path}/{file} is missing: the run directory is damaged; "
                              f"{_retrain(path)}")
    return name


class Run:
    """A finished run directory of `suite` (see the module docstring).

    Args:
        path: the run directory.
        suite: its `Suite` (`seqsuite.registry.get(suite_of(path))`).
        overrides: data fields repointed for this use (`--set test_data=new.csv`).
    """

    def __init__(self, path: Path, suite, overrides: dict | None = None):
        self.path = Path(path)
        self.suite = suite
        self.overrides = dict(overrides or {})
        found = suite_of(self.path)
        if found != suite.name:
            raise ConfigError(f"{self.path} is a {found} run, not a {suite.name} run")

    @cached_property
    def metadata(self) -> dict:
        return read_json(self.path / RUN_JSON, _retrain(self.path))

    @cached_property
    def config(self):
        return load_config(self.suite.config, self.path, self.overrides)

    @cached_property
    def model(self):
        """The trained model; `.keras` loads with safe_mode on (no Python code runs)."""
        import keras

        file = self.path / "model.keras"
        try:
            return keras.saving.load_model(file, safe_mode=True)
        except zipfile.BadZipFile as err:
            raise ConfigError(f"{file} is damaged (not a complete Keras archive); "
                              f"{_retrain(self.path)}") from err
        except ValueError as err:
            if "safe_mode" in str(err) or "lambda" in str(err).lower():
                raise ConfigError(f"{file} holds Python code (a lambda), which seqsuite does "
                                  f"not load; {_retrain(self.path)}") from err
            raise ConfigError(f"{file} does not load ({str(err).splitlines()[0][:120]}); "
                              f"{_retrain(self.path)}") from err

    def baselines(self, config=None) -> dict:
        from seqsuite.shared.run.baselines import load_all

        return load_all(self.suite.baselines(config or self.config), self.path)

    def evaluation_name(self, name: str | None = None) -> str:
        """A new folder name under `evaluations/`: `name`, or the repointed data files'
        names, or `rerun`; `-2`, `-3`, ... added rather than reuse one."""
        if name is None:
            stems = [Path(str(v)).stem for v in self.overrides.values() if v is not None]
            name = "-".join(stems) or "rerun"
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-") or "rerun"
        taken = self.path / EVALUATIONS
        candidate, n = name, 1
        while (taken / candidate).exists() or staging_path(taken / candidate).exists():
            n += 1
            candidate = f"{name}-{n}"
        return candidate

    def evaluate(self, name: str | None = None) -> tuple[dict, Path]:
        """Measure the run again (on repointed data when `overrides` say so) into
        `RUN/evaluations/<name>/`; returns (metrics, that folder). Trains nothing and
        leaves everything training wrote as it was."""
        from seqsuite.shared.run.suite import Evaluation

        config = self.config
        data = self.suite.load_data(config)
        target = self.path / EVALUATIONS / self.evaluation_name(name)
        (self.path / EVALUATIONS).mkdir(exist_ok=True)
        with DirectoryLock(self.path / EVALUATIONS), \
                replacing(target, False, "evaluation", flag="evaluation") as out:
            where = Evaluation(out=out, run=self.path, baselines=self.baselines(config),
                               fit_seconds=self.metadata.get("fit_seconds"))
            metrics = self.suite.evaluate(self.model, data, config, where)
            write_text_atomic(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
            write_text_atomic(out / "evaluation.json", json.dumps(
                {"overrides": self.overrides}, indent=2, default=str) + "\n")
        return metrics, target

    def export(self, path: Path | None = None, overwrite: bool = False) -> Path:
        """The serving SavedModel at `path` (default `RUN/export`)."""
        path = Path(path) if path else self.path / "export"
        if (path.is_dir() and is_ours(path) and not (path / "saved_model.pb").is_file()
                and not overwrite):
            raise ConfigError(f"{path} is an incomplete SavedModel (no saved_model.pb: an "
                              "export was interrupted); pass --overwrite to write it again")
        return export(self.suite, self.model, self.config, path, overwrite)

    def export_tflite(self, path: Path | None = None, quantize: str = "none",
                      overwrite: bool = False) -> Path:
        """The `stream` signature as a TensorFlow Lite model at `path` (default
        `RUN/stream.tflite`, or `RUN/stream-dynamic.tflite` when quantised); see
        `shared.run.export.export_tflite`. An existing file is replaced only with
        `overwrite`, and only once the new one is whole."""
        from seqsuite.shared.run.export import export_tflite

        suffix = "" if quantize == "none" else f"-{quantize}"
        path = Path(path) if path else self.path / f"stream{suffix}.tflite"
        if path.exists() and not overwrite:
            raise ConfigError(f"{path} exists; pass --overwrite to replace it, or --out "
                              "another file")
        blob = export_tflite(self.model, self.suite.serving(self.model, self.config),
                             quantize=quantize)
        write_bytes_atomic(path, blob)
        return path


def export(suite, model, config, path: Path, overwrite: bool = False) -> Path:
    """Write the suite's serving SavedModel at `path`: written beside it and moved into
    place, so a failure (a full disk) leaves the previous export as it was."""
    from seqsuite.shared.run.export import export_saved_model

    serving = suite.serving(model, config)
    with replacing(path, overwrite, "SavedModel export") as staged:
        export_saved_model(model, staged, serving)
    return Path(path)


def _same_config(directory: Path, config) -> bool:
    """Whether the unfinished run in `directory` was started with `config`."""
    try:
        saved = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    current = json.loads(json.dumps(config_to_dict(config, "user") | config_to_dict(config, "data")))
    return saved == current


class NewRun:
    """The directory a `seqsuite train` writes: `NewRun(out, suite, config, preset,
    overwrite)` used as a context manager holds the lock and yields itself.

    A new or empty `out` is trained in directly; an unfinished run with the same config
    resumes from its last finished epoch; a finished run is refused unless `overwrite`,
    and is then trained beside `out` and moved into place only at the end, so an
    interrupted replacement leaves the old run whole. All this is decided before any
    data loads.
    """

    def __init__(self, out: Path, suite, config, preset: str = "custom",
                 overwrite: bool = False):
        self.out = Path(out)
        self.suite, self.config, self.preset, self.overwrite = suite, config, preset, overwrite
        self.directory = self.out
        self.replaces = False
        self.created = False
        self._stack = contextlib.ExitStack()

    def _choose(self) -> None:
        out = self.out
        if is_empty(out):
            return
        if (out / RUN_JSON).exists():
            if not self.overwrite:
                raise ConfigError(f"{out} holds a finished run; pass --overwrite to replace it, "
                                  "or choose another --out")
            staged = staging_path(out)
            if staged.exists() and not _same_config(staged, self.config):
                shutil.rmtree(staged)
            self.directory, self.replaces = staged, True
            return
        if self.overwrite:
            shutil.rmtree(out / "checkpoint", ignore_errors=True)  # start afresh
            return
        if not _same_config(out, self.config):
            raise ConfigError(f"{out} holds an unfinished run with a different config; rerun "
                              "it with the same settings to resume, or pass --overwrite")

    def __enter__(self) -> NewRun:
        check_target(self.out, overwrite=True, flag="--out")  # refuses what is not ours
        created = self.created = not self.out.exists()
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            # The lock comes first: a process already writing here is what the user must hear.
            self._stack.enter_context(DirectoryLock(self.out))
            self._choose()
        except BaseException:
            self._stack.close()
            if created:
                shutil.rmtree(self.out, ignore_errors=True)
            raise
        self.directory.mkdir(parents=True, exist_ok=True)
        mark(self.directory, "run directory")
        state = self.directory / "checkpoint" / "state.json"
        if state.exists():
            done = json.loads(state.read_text())["epoch"] + 1
            print(f"resuming {self.out} after epoch {done} of {self.config.epochs}")
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self._stack.close()
        # Bad data fails before anything is written: leave no run directory behind.
        if exc_type is not None and self.created and self.out.is_dir() and \
                all(p.name == MARKER for p in self.out.iterdir()):
            shutil.rmtree(self.out, ignore_errors=True)

    def save_config(self, config) -> None:
        save_config(config, self.directory)

    def finish(self, model, data, config, fit) -> dict:
        """Save the model, evaluate, plot, export, write metrics.json and, last, run.json;
        move a replacement into place. `fit` is the `FitResult`."""
        import csv

        from seqsuite.shared.evaluation.plots import plot_history
        from seqsuite.shared.run.baselines import load_all
        from seqsuite.shared.run.suite import Evaluation

        directory = self.directory
        model.save(directory / "model.keras")
        where = Evaluation(out=directory, run=directory,
                           baselines=load_all(self.suite.baselines(config), directory),
                           fit_seconds=round(fit.seconds, 3))
        metrics = self.suite.evaluate(model, data, config, where)
        history = directory / "history.csv"
        if history.exists():
            with history.open() as f:
                rows = list(csv.DictReader(f))
            if rows:
                plot_history(rows, directory / "history.png")
        export(self.suite, model, config, directory / "export", overwrite=True)
        write_text_atomic(directory / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        shutil.rmtree(directory / "checkpoint", ignore_errors=True)
        run = {"suite": self.suite.name, "preset": self.preset,
               "fit_seconds": round(fit.seconds, 3), "best_val_loss": fit.val_loss}
        write_text_atomic(directory / RUN_JSON, json.dumps(run, indent=2) + "\n")
        if self.replaces:
            move_into_place(directory, self.out)
        return metrics
