"""The forecasting suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import Suite
from seqsuite.suites.forecasting import __doc__ as description
from seqsuite.suites.forecasting.config import COMMANDS, PRESETS, Config
from seqsuite.suites.forecasting.data import load_data
from seqsuite.suites.forecasting.model import build_model, serving
from seqsuite.suites.forecasting.train import (
    baselines,
    calibrate,
    evaluate,
    search_space,
)

SUITE = Suite(
    name="forecasting",
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
