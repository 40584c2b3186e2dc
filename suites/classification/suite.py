"""The classification suite's contract: a recurrent classifier trained by epochs, or an
echo state network fitted in closed form, with 1-NN and MiniRocket baselines beside either."""

from seqsuite.shared.run.suite import ClosedForm, Suite
from seqsuite.suites.classification import __doc__ as description
from seqsuite.suites.classification.baselines import baselines
from seqsuite.suites.classification.config import COMMANDS, PRESETS, Config
from seqsuite.suites.classification.data import load_data
from seqsuite.suites.classification.model import build_model, serving
from seqsuite.suites.classification.train import (
    esn_validation_loss,
    evaluate,
    fit_esn,
    is_esn,
    search_space,
)

SUITE = Suite(
    name="classification",
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
)
