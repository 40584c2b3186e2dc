"""The tagging suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import Suite
from seqsuite.suites.tagging import __doc__ as description
from seqsuite.suites.tagging.config import COMMANDS, PRESETS, Config
from seqsuite.suites.tagging.data import load_data
from seqsuite.suites.tagging.model import build_model, serving
from seqsuite.suites.tagging.train import baselines, evaluate, search_space

SUITE = Suite(
    name="tagging",
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
)
