"""seqsuite: recurrent sequence models for Keras 3 (TensorFlow backend).

    import seqsuite                       # registers every seqsuite Keras object
    model = keras.saving.load_model("runs/forecasting-quick/model.keras")
    from seqsuite.layers import ZoneoutCell, BahdanauAttention, CRF, ESN

The installed namespace maps the project's folders: `seqsuite.shared` (the
layer library and the runner), `seqsuite.suites` (one package per task),
`seqsuite.tuning` (keras-tuner search); `seqsuite.registry` and
`seqsuite.cli` sit above them.
"""

from __future__ import annotations

import os
import sys

__version__ = "0.3.0"
__all__ = ["__version__", "register"]


def register() -> None:
    """Register every Keras object of seqsuite: the layer library and the layers
    the suites define in their `model.py`."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import importlib

    import seqsuite.layers  # noqa: F401
    from seqsuite import registry

    for name in registry.names():
        importlib.import_module(f"seqsuite.suites.{name}.model")


def _command_line() -> bool:
    """Whether this process is the `seqsuite` command (or `python -m seqsuite...`),
    which must answer bad input before TensorFlow loads and registers later."""
    argv0 = (getattr(sys, "argv", None) or [""])[0]
    return os.path.basename(argv0) == "seqsuite" or argv0 == "-m"


if not _command_line():
    register()


_LAYERS = {
    "AttentionDecoder", "AttentionPooling", "AttentionWrapper", "BahdanauAttention", "CRF",
    "CRFLoss", "DecodeResult", "ESN", "ESNCell", "LayerNormLSTMCell", "LayerNormSimpleRNNCell",
    "LengthMask", "LuongAttention", "PeepholeLSTMCell", "Reservoir", "ReservoirInitializer", "RidgeReadout",
    "ZoneoutCell", "ZoneoutLSTM", "decode", "BlankPadding", "CTCLoss", "CharVocabulary",
    "LogMelSpectrogram", "SpecAugment", "ctc_decode", "decode_wavs",
    "ActivationRegularization", "CharacterCNN", "DropoutEmbedding", "LockedDropout",
    "LogitFusion", "TiedEmbedding", "WeightDropRNN", "fit_fusion_weights",
    "ctc_beam_candidates", "Lexicon", "rescore", "closed_vocabulary",
    "NVAR", "OnlineReadout", "Streaming", "StreamingError", "deep_reservoir",
    "intrinsic_plasticity",
}


def __getattr__(name: str):
    # `seqsuite.ZoneoutCell` and friends: the same objects as in `seqsuite.layers`.
    # Only these names load the library, so `from seqsuite import registry` stays light.
    if name in _LAYERS:
        import seqsuite.layers

        return getattr(seqsuite.layers, name)
    raise AttributeError(f"module 'seqsuite' has no attribute '{name}'")
