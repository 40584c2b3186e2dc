"""Names the recurrent builders accept: cells, initialisations, forget-gate biases.

Plain Python (no TensorFlow), so a config can be checked against these names
before the heavy libraries load.
"""

from __future__ import annotations

from seqsuite.shared.checks import require_range
from seqsuite.shared.errors import ConfigError

CELLS = (
    "lstm",
    "gru",
    "simple",
    "zoneout_lstm",
    "layernorm_lstm",
    "peephole_lstm",
    "layernorm_simple",
)
# Recurrent-kernel initialisations: Glorot-uniform, orthogonal (Saxe et al. 2014), and the
# identity (IRNN, Le et al. 2015: simple cells then use ReLU).
RECURRENT_INITS = ("glorot", "orthogonal", "identity")
# Forget-gate bias of LSTM-type cells: 1 (Jozefowicz et al. 2015), chrono (Tallec and
# Ollivier 2018), or 0.
FORGET_BIASES = ("unit", "chrono", "zero")



def check_cell_options(cell: str, zoneout_h: float, zoneout_c: float) -> None:
    """Raise ConfigError for an unknown cell name or unusable zoneout rates."""
    if cell not in CELLS:
        raise ConfigError(f"unknown cell '{cell}'; use one of {', '.join(CELLS)}")
    for name, rate in (("zoneout_h", zoneout_h), ("zoneout_c", zoneout_c)):
        require_range(name, rate, 0, 1, high_open=True)
    if cell == "zoneout_lstm" and zoneout_h == 0 and zoneout_c == 0:
        raise ConfigError(
            "cell=zoneout_lstm needs a zoneout rate; add e.g. --set zoneout_h=0.1 zoneout_c=0.05"
        )
