"""The reservoir suite's contract: an ESN fitted in closed form, an LSTM beside it."""

from seqsuite.shared.run.suite import ClosedForm, Suite
from seqsuite.suites.reservoir import __doc__ as description
from seqsuite.suites.reservoir.config import PRESETS, Config
from seqsuite.suites.reservoir.data import load_data
from seqsuite.suites.reservoir.model import build_model, serving
from seqsuite.suites.reservoir.train import (
    baselines,
    evaluate,
    fit_model,
    search_space,
    validation_loss,
)

SUITE = Suite(
    name="reservoir",
    description=description.strip(),
    config=Config,
    presets=PRESETS,
    load_data=load_data,
    build_model=build_model,
    serving=serving,
    evaluate=evaluate,
    search_space=search_space,
    closed_form=ClosedForm(fit=fit_model, validation_loss=validation_loss),
    baselines=baselines,
)
