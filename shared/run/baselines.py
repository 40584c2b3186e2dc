"""Baselines: the tools a practitioner would otherwise use, fitted with every run.

A suite reports its model beside references (TF-IDF + logistic regression, the most
frequent tag, an n-gram model, 1-NN DTW, ETS and Theta, an LSTM trained by BPTT next to
an ESN). Each is a `Baseline`; the suite's `baselines(config)` lists those a config asks
for. The runner owns where they live:

    RUN/baselines/<name>/      one folder per baseline, written by its `save`

At training the runner fits each one on the training data (`fit`) and saves it; every
evaluation, the one at the end of training and each `seqsuite evaluate` later, loads them
(`load`) and hands them to the suite's `evaluate`, which calls `score` where it tabulates
them beside the model. An evaluation therefore trains nothing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.files import mark, read_json, write_text_atomic

FOLDER = "baselines"


@runtime_checkable
class Baseline(Protocol):
    """What every baseline offers.

    name: its folder under `RUN/baselines/`.
    fit(data, config): learn from the training data (and the validation data where the
        tool tunes).
    save(directory): write what `load` needs into an existing, empty `directory`.
    load(directory) (a classmethod): the fitted baseline again.
    score(data, config) -> {row: figures}: its rows of the suite's test table, in the
        suite's metrics: one row named `name`, or one per tool for a group fitted and
        saved together (forecasting's statistical forecasters, the unigram and trigram
        counted at once, both 1-NN baselines over one reference set).
    """

    name: ClassVar[str]

    def fit(self, data, config) -> None: ...

    def save(self, directory: Path) -> None: ...

    @classmethod
    def load(cls, directory: Path) -> Baseline: ...

    def score(self, data, config) -> dict[str, Any]: ...


class JsonBaseline:
    """A baseline whose fitted state is one JSON document, `self.fitted`, saved as
    `<directory>/<file>`: plain numbers and strings, so loading a run never unpickles code.
    A subclass sets `name` and `file` and writes `fit` and `score`."""

    file: ClassVar[str] = "baseline.json"

    def __init__(self, fitted=None):
        self.fitted = fitted

    def save(self, directory: Path) -> None:
        write_text_atomic(Path(directory) / self.file, json.dumps(self.fitted) + "\n")

    @classmethod
    def load(cls, directory: Path):
        return cls(read_json(Path(directory) / cls.file, "the run directory is damaged; train "
                             "it again (seqsuite train SUITE --out RUN --overwrite)"))


def fit_and_save(baselines: Iterable[Baseline], data, config, run_dir: Path) -> None:
    """Fit each baseline and save it in `run_dir/baselines/<name>/`, replacing what an
    earlier, interrupted attempt left there."""
    baselines = list(baselines)
    folder = Path(run_dir) / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    if not baselines:
        return
    folder.mkdir(parents=True)
    mark(folder, "baselines")
    for baseline in baselines:
        baseline.fit(data, config)
        directory = folder / baseline.name
        directory.mkdir()
        baseline.save(directory)


def load_all(baselines: Iterable[Baseline], run_dir: Path) -> dict[str, Baseline]:
    """{name: fitted baseline} from `run_dir/baselines/`; a missing one is a damaged run."""
    loaded = {}
    for baseline in baselines:
        directory = Path(run_dir) / FOLDER / baseline.name
        if not directory.is_dir():
            raise ConfigError(f"{directory} is missing: the run directory is damaged; train "
                              "the run again (seqsuite train ... --overwrite)")
        loaded[baseline.name] = type(baseline).load(directory)
    return loaded
