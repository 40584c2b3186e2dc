"""seqsuite's public layer API: what TensorFlow Addons gave, for Keras 3.

    from seqsuite.layers import ZoneoutCell, LayerNormLSTMCell, BahdanauAttention, CRF, ESN

Cells (`keras.layers.RNN(cell)`): `LayerNormLSTMCell`, `LayerNormSimpleRNNCell`,
`PeepholeLSTMCell` (TensorFlow Addons' arguments and arithmetic), `ZoneoutCell`
around any cell, and the ready-made `ZoneoutLSTM` layer.

Attention: `BahdanauAttention`, `LuongAttention`, `AttentionWrapper` (a mechanism
inside any cell), `AttentionDecoder`, `AttentionPooling`.

Decoding: `decode(step_fn, ...)` with greedy, sampling and beam search
(`DecodeResult`), usable inside a SavedModel.

Sequence labelling: `CRF` (chain potentials, Viterbi) and `CRFLoss`.

Reservoir computing: `ESNCell`, `Reservoir`, `RidgeReadout`, `ESN`,
`ReservoirInitializer`.

CTC and audio: `CTCLoss` (padded labels), `BlankPadding`, `ctc_decode` (greedy and
prefix beam search), `ctc_beam_candidates` (the n best), `CharVocabulary`; `Lexicon`,
`rescore` and `closed_vocabulary` (words for CTC decoding); `LogMelSpectrogram` (per-utterance
normalised), `SpecAugment` (training only), `decode_wavs` (WAV bytes in a graph).

Every class is registered with Keras under the `seqsuite` package, so after
`import seqsuite` any saved model loads with `keras.saving.load_model`.
"""

from seqsuite.shared.layers.attention import (
    AttentionDecoder,
    AttentionPooling,
    AttentionWrapper,
    BahdanauAttention,
    LuongAttention,
)
from seqsuite.shared.layers.audio import LogMelSpectrogram, SpecAugment, decode_wavs
from seqsuite.shared.layers.cells import (
    LayerNormLSTMCell,
    LayerNormSimpleRNNCell,
    PeepholeLSTMCell,
    ZoneoutCell,
    ZoneoutLSTM,
)
from seqsuite.shared.layers.characters import CharacterCNN
from seqsuite.shared.layers.crf import CRF, CRFLoss
from seqsuite.shared.layers.ctc import (
    BlankPadding,
    CharVocabulary,
    CTCLoss,
    ctc_beam_candidates,
    ctc_decode,
)
from seqsuite.shared.layers.decoding import DecodeResult, decode
from seqsuite.shared.layers.fusion import LogitFusion, fit_fusion_weights
from seqsuite.shared.layers.lexicon import Lexicon, closed_vocabulary, rescore
from seqsuite.shared.layers.masking import LengthMask
from seqsuite.shared.layers.regularisers import (
    ActivationRegularization,
    DropoutEmbedding,
    LockedDropout,
    TiedEmbedding,
    WeightDropRNN,
)
from seqsuite.shared.layers.reservoir import (
    ESN,
    NVAR,
    ESNCell,
    OnlineReadout,
    Reservoir,
    ReservoirInitializer,
    RidgeReadout,
    deep_reservoir,
    intrinsic_plasticity,
)
from seqsuite.shared.layers.streaming import Streaming, StreamingError

__all__ = [
    "Streaming",
    "StreamingError",
    "ActivationRegularization",
    "CharacterCNN",
    "DropoutEmbedding",
    "LockedDropout",
    "LogitFusion",
    "TiedEmbedding",
    "WeightDropRNN",
    "fit_fusion_weights",
    "BlankPadding",
    "CRF",
    "CTCLoss",
    "CharVocabulary",
    "LogMelSpectrogram",
    "SpecAugment",
    "ctc_decode",
    "ctc_beam_candidates",
    "Lexicon",
    "rescore",
    "closed_vocabulary",
    "decode_wavs",
    "CRFLoss",
    "DecodeResult",
    "ESN",
    "ESNCell",
    "NVAR",
    "OnlineReadout",
    "deep_reservoir",
    "intrinsic_plasticity",
    "AttentionDecoder",
    "AttentionPooling",
    "AttentionWrapper",
    "BahdanauAttention",
    "LayerNormLSTMCell",
    "LayerNormSimpleRNNCell",
    "LengthMask",
    "LuongAttention",
    "PeepholeLSTMCell",
    "Reservoir",
    "ReservoirInitializer",
    "RidgeReadout",
    "ZoneoutCell",
    "ZoneoutLSTM",
    "decode",
]
