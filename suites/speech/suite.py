"""The speech suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import Suite
from seqsuite.suites.speech import __doc__ as description
from seqsuite.suites.speech.config import COMMANDS, PRESETS, Config
from seqsuite.suites.speech.data import load_data
from seqsuite.suites.speech.model import build_model, serving
from seqsuite.suites.speech.train import calibrate, evaluate, search_space

SUITE = Suite(
    name="speech",
    description=description.strip(),
    config=Config,
    presets=PRESETS,
    load_data=load_data,
    build_model=build_model,
    serving=serving,
    evaluate=evaluate,
    search_space=search_space,
    calibrate=calibrate,
    commands=COMMANDS,
)
