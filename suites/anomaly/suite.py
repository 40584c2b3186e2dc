"""The anomaly suite's contract: everything the runner, tuner and CLI use."""

from seqsuite.shared.run.suite import ClosedForm, Suite
from seqsuite.suites.anomaly import __doc__ as description
from seqsuite.suites.anomaly.config import COMMANDS, PRESETS, Config
from seqsuite.suites.anomaly.data import load_data
from seqsuite.suites.anomaly.model import build_model, serving
from seqsuite.suites.anomaly.train import (
    baselines,
    calibrate,
    esn_validation_loss,
    evaluate,
    fit_esn,
    is_esn,
    search_space,
)

SUITE = Suite(
    name="anomaly",
    description=description.strip(),
    config=Config,
    presets=PRESETS,
    load_data=load_data,
    build_model=build_model,
    serving=serving,
    evaluate=evaluate,
    search_space=search_space,
    closed_form=ClosedForm(fit=fit_esn, validation_loss=esn_validation_loss, applies=is_esn),
    baselines=baselines,
    commands=COMMANDS,
    calibrate=calibrate,
)
