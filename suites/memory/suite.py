"""The memory suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import Suite
from seqsuite.suites.memory import __doc__ as description
from seqsuite.suites.memory.config import PRESETS, Config
from seqsuite.suites.memory.data import load_data
from seqsuite.suites.memory.model import build_model, serving
from seqsuite.suites.memory.train import evaluate, search_space

SUITE = Suite(
    name="memory",
    description=description.strip(),
    config=Config,
    presets=PRESETS,
    load_data=load_data,
    build_model=build_model,
    serving=serving,
    evaluate=evaluate,
    search_space=search_space,
)
