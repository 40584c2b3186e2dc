"""The sentiment suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import Suite
from seqsuite.suites.sentiment import __doc__ as description
from seqsuite.suites.sentiment.config import COMMANDS, PRESETS, Config
from seqsuite.suites.sentiment.data import load_data
from seqsuite.suites.sentiment.model import build_model, calibrate, serving
from seqsuite.suites.sentiment.train import baselines, evaluate, search_space

SUITE = Suite(
    name="sentiment",
    description=description.strip(),
    config=Config,
    presets=PRESETS,
    load_data=load_data,
    build_model=build_model,
    serving=serving,
    evaluate=evaluate,
    search_space=search_space,
    baselines=baselines,
    commands=COMMANDS,
    calibrate=calibrate,
)
