"""The vision suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import Suite
from seqsuite.suites.vision import __doc__ as description
from seqsuite.suites.vision.config import COMMANDS, PRESETS, Config
from seqsuite.suites.vision.data import load_data
from seqsuite.suites.vision.model import build_model, serving
from seqsuite.suites.vision.train import evaluate, search_space

SUITE = Suite(
    name="vision",
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
