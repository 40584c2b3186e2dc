"""The language-model suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import Suite
from seqsuite.suites.language_model import __doc__ as description
from seqsuite.suites.language_model.config import COMMANDS, PRESETS, Config
from seqsuite.suites.language_model.data import load_data
from seqsuite.suites.language_model.model import build_model, serving
from seqsuite.suites.language_model.train import (
    baselines,
    callbacks,
    evaluate,
    search_space,
)

SUITE = Suite(
    name="language_model",
    description=description.strip(),
    config=Config,
    presets=PRESETS,
    load_data=load_data,
    build_model=build_model,
    serving=serving,
    evaluate=evaluate,
    search_space=search_space,
    callbacks=callbacks,
    baselines=baselines,
    commands=COMMANDS,
)
