"""The translation suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import Suite
from seqsuite.suites.translation import __doc__ as description
from seqsuite.suites.translation.config import COMMANDS, PRESETS, Config
from seqsuite.suites.translation.data import load_data
from seqsuite.suites.translation.model import build_model, serving
from seqsuite.suites.translation.train import evaluate, search_space

SUITE = Suite(
    name="translation",
    description=description.strip(),
    config=Config,
    presets=PRESETS,
    load_data=load_data,
    build_model=build_model,
    serving=serving,
    evaluate=evaluate,
    search_space=search_space,
    commands=COMMANDS,
)
