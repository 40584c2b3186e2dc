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


def reservoir(hp) -> dict:
    return {
        "spectral_radius": hp.Choice("spectral_radius", [0.5, 0.8, 0.95, 1.1, 1.25, 1.5]),
        "leak_rate": hp.Choice("leak_rate", [0.1, 0.3, 0.5, 0.8, 1.0]),
        "input_scaling": hp.Choice("input_scaling", [0.1, 0.3, 0.5, 1.0, 2.0]),
        "connectivity": hp.Choice("connectivity", [0.02, 0.05, 0.1, 0.2]),
        "ridge": hp.Choice("ridge", [1e-9, 1e-7, 1e-5, 1e-3, 1e-1]),
        "units": hp.Choice("units", [100, 200, 400, 800]),
    }


def translation(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [32, 64, 128]),
        "embedding_dim": hp.Choice("embedding_dim", [16, 32, 64]),
        "attention": hp.Choice("attention", ["luong", "bahdanau"]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64, 128]),
        "clip_norm": clip or None,
    }


def language_model(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [128, 256, 512]),
        "layers": hp.Int("layers", 1, 2),
        "embedding_dim": hp.Choice("embedding_dim", [32, 64]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1]),
        "zoneout_c": hp.Choice("zoneout_c", [0.0, 0.05]),
        "dropout": hp.Choice("dropout", [0.0, 0.2]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3]),
        "clip_norm": clip or None,
    }


def sentiment(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [32, 64, 128]),
        "embedding_dim": hp.Choice("embedding_dim", [32, 64, 128]),
        "attention_units": hp.Choice("attention_units", [32, 64]),
        "dropout": hp.Choice("dropout", [0.0, 0.2, 0.4]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05, 0.1]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64, 128]),
        "clip_norm": clip or None,
    }


def tagging(hp) -> dict:
    # `head` stays out: sequence NLL and per-token cross-entropy are not comparable
    # validation losses. Tune within one head with --set head=...
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["lstm", "gru", "layernorm_lstm"]),
        "units": hp.Choice("units", [32, 64, 128]),
        "layers": hp.Int("layers", 1, 2),
        "embedding_dim": hp.Choice("embedding_dim", [32, 64, 100]),
        "shape_dim": hp.Choice("shape_dim", [4, 8, 16]),
        "dropout": hp.Choice("dropout", [0.0, 0.1, 0.3]),
        "min_count": hp.Choice("min_count", [1, 2, 3]),
        "optimizer": hp.Choice("optimizer", ["adam", "adamw", "rmsprop"]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64]),
        "clip_norm": clip or None,
    }


SPACES = {
    "forecasting": forecasting,
    "reservoir": reservoir,
    "translation": translation,
    "language_model": language_model,
    "sentiment": sentiment,
    "tagging": tagging,
}
