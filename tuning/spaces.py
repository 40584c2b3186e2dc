"""Search spaces, one function per suite: `space(hp) -> {config_key: value}`.

Every choice is discrete so the same space serves random, grid, Bayesian and
Hyperband search. A suite that is not listed here cannot be tuned yet.
"""

from __future__ import annotations


def forecasting(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "simple", "layernorm_lstm", "peephole_lstm"]),
        "units": hp.Choice("units", [16, 32, 64]),
        "layers": hp.Int("layers", 1, 2),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1, 0.2]),
        "zoneout_c": hp.Choice("zoneout_c", [0.0, 0.05, 0.1, 0.2]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop", "momentum"]),
        "learning_rate": hp.Choice("learning_rate", [3e-4, 1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [16, 32, 64]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }


SPACES = {"forecasting": forecasting}
