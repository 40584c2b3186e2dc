"""Sequence encoders built from a config, shared by every suite: recurrent, Transformer, or both.

`sequence_encoder(x, config)` builds the encoder `config.encoder` names (an
`options.SequenceEncoderConfig`): `rnn` is `recurrent_encoder`; `transformer` and
`hybrid` use keras-hub's Transformer blocks (`attention_blocks`).

`recurrent_stack` turns the encoder fields (cell, units, layers, bidirectional,
dropout, zoneout rates) into stacked Keras RNN layers; `recurrent_encoder(x,
config)` takes them whole from an `options.EncoderConfig` (every suite's config
with a recurrent encoder is one), and `recurrent_cell(config)` builds one cell
from an `options.CellConfig`. Input kernels are
Glorot-uniform; recurrent kernels and LSTM forget-gate biases follow the
config's `recurrent_init` (orthogonal by default, the initialisation that keeps
early gradients from exploding or vanishing through time; `glorot`; or
`identity`, which makes simple cells IRNNs with ReLU) and `forget_bias`
(`unit`, `chrono`, `zero`); see `shared.layers.initializers`.

Like Keras's dtype policy, the initialisation is a scoped default:
`runner.prepare` builds every suite's model inside
`recurrent_initialisation(config)`, so `--set recurrent_init=identity` reaches
every cell `make_cell` and `recurrent_stack` create, in any suite, without the
suite passing it on. An argument given explicitly wins over the scope.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import warnings

import keras
from keras import ops

from seqsuite.shared.checks import require_range
from seqsuite.shared.errors import ConfigError
from seqsuite.shared.layers import cells as seq_cells
from seqsuite.shared.layers.initializers import forget_bias_options, recurrent_initializer
from seqsuite.shared.layers.options import (
    CellConfig,
    EncoderConfig,
    SequenceEncoderConfig,
    attention_width,
    check_cell_options,
)
from seqsuite.shared.layers.regularisers import LockedDropout, WeightDropRNN

_TWO_STATE = ("lstm", "zoneout_lstm", "layernorm_lstm", "peephole_lstm")
_SIMPLE = ("simple", "layernorm_simple")


@dataclasses.dataclass(frozen=True)
class Initialisation:
    """The recurrent initialisation in force (`TrainConfig`'s fields of the same names)."""

    recurrent_init: str = "orthogonal"
    forget_bias: str = "unit"
    chrono_max: int | None = None


_INITIALISATION = contextvars.ContextVar("seqsuite_initialisation", default=None)


def _initialisation() -> Initialisation:
    """The initialisation in force: the innermost `recurrent_initialisation`, or the defaults."""
    return _INITIALISATION.get() or Initialisation()


@contextlib.contextmanager
def recurrent_initialisation(config):
    """Within this block, cells follow `config`'s `recurrent_init`, `forget_bias`, `chrono_max`."""
    token = _INITIALISATION.set(
        Initialisation(config.recurrent_init, config.forget_bias, config.chrono_max))
    try:
        yield
    finally:
        _INITIALISATION.reset(token)


def _cell_options(cell, kernel_initializer, recurrent_initializer_, recurrent_init,
                  forget_bias, chrono_max, recurrent_gain) -> dict:
    """Constructor arguments of the base cell for the initialisation asked for."""
    scope = _initialisation()
    recurrent_init = recurrent_init or scope.recurrent_init
    forget_bias = forget_bias or scope.forget_bias
    chrono_max = chrono_max or scope.chrono_max
    # The input kernel's initialiser is resolved first, as the cell itself would,
    # so seeded runs draw the same weights as before these options existed.
    options = {"kernel_initializer": keras.initializers.get(kernel_initializer)}
    options["recurrent_initializer"] = (
        recurrent_initializer(recurrent_init, recurrent_gain)
        if recurrent_initializer_ is None else recurrent_initializer_)
    if recurrent_init == "identity" and cell in _SIMPLE:
        options["activation"] = "relu"  # IRNN (Le et al. 2015)
    if cell in _TWO_STATE:
        if forget_bias == "chrono" and chrono_max is None:
            raise ConfigError("forget_bias=chrono needs the longest dependency in steps and "
                              "these sequences have no fixed length; add --set chrono_max=N")
        options.update(forget_bias_options(forget_bias, chrono_max))
    return options


def make_cell(
    cell: str,
    units: int,
    zoneout_h: float = 0.0,
    zoneout_c: float = 0.0,
    seed: int | None = None,
    kernel_initializer="glorot_uniform",
    recurrent_initializer=None,
    *,
    recurrent_init: str | None = None,
    forget_bias: str | None = None,
    chrono_max: int | None = None,
    recurrent_gain: float = 1.0,
):
    """One recurrent cell by name; wrapped in `ZoneoutCell` when a rate is non-zero.

    LSTM-type cells take `[zoneout_h, zoneout_c]` (hidden and cell state);
    single-state cells take `[zoneout_h]`.

    `recurrent_init` (`glorot`, `orthogonal`, `identity`), scaled by
    `recurrent_gain`, initialises the recurrent kernel unless
    `recurrent_initializer` is given; `identity` gives simple cells ReLU
    (IRNN). `forget_bias` (`unit`, `chrono` with `T_max = chrono_max`, `zero`)
    sets LSTM-type cells' gate biases; GRU and simple cells have no forget gate
    and ignore it. `None` takes the value in force (`recurrent_initialisation`;
    outside one: orthogonal, unit).
    """
    check_cell_options(cell, zoneout_h, zoneout_c)
    init = _cell_options(cell, kernel_initializer, recurrent_initializer, recurrent_init,
                         forget_bias, chrono_max, recurrent_gain)
    base = {
        "lstm": keras.layers.LSTMCell,
        "zoneout_lstm": keras.layers.LSTMCell,
        "gru": keras.layers.GRUCell,
        "simple": keras.layers.SimpleRNNCell,
        "layernorm_lstm": seq_cells.LayerNormLSTMCell,
        "peephole_lstm": seq_cells.PeepholeLSTMCell,
        "layernorm_simple": seq_cells.LayerNormSimpleRNNCell,
    }[cell](units, **init)
    if zoneout_h == 0 and zoneout_c == 0:
        return base
    rate = [zoneout_h, zoneout_c] if cell in _TWO_STATE else [zoneout_h]
    return seq_cells.ZoneoutCell(base, rate=rate, seed=seed)


def recurrent_stack(
    x,
    *,
    cell: str,
    units: int,
    layers: int = 1,
    bidirectional: bool = False,
    dropout: float = 0.0,
    zoneout_h: float = 0.0,
    zoneout_c: float = 0.0,
    locked_dropout: bool = False,
    weight_drop: float = 0.0,
    seed: int | None = None,
    return_sequences: bool = False,
    stateful: bool = False,
    name: str = "encoder",
    recurrent_init: str | None = None,
    forget_bias: str | None = None,
    chrono_max: int | None = None,
    recurrent_gain: float = 1.0,
):
    """Apply `layers` stacked recurrent layers to `x` (batch, time, features).

    Every layer but the last returns sequences; the last returns sequences only
    if `return_sequences`. Dropout sits between layers, not inside the
    recurrence, so the cheap fused LSTM path stays available. `stateful=True`
    carries each layer's state from one batch to the next (the batch size of
    `x` must then be fixed). The initialisation arguments are `make_cell`'s;
    chrono's `T_max` defaults to the length of `x` when that is fixed.
    `locked_dropout` makes the dropout between layers one mask per sequence and
    `weight_drop` drops recurrent weights (`shared.layers.regularisers`).
    """
    require_range("layers", layers, low=1)
    require_range("units", units, low=1)
    for i in range(layers):
        last = i == layers - 1
        seq = return_sequences or not last
        layer_seed = None if seed is None else seed + i
        init = {"recurrent_init": recurrent_init, "forget_bias": forget_bias,
                "chrono_max": chrono_max or _initialisation().chrono_max or x.shape[1],
                "recurrent_gain": recurrent_gain}
        rc = make_cell(cell, units, zoneout_h, zoneout_c, layer_seed, **init)
        if weight_drop:
            rnn = WeightDropRNN(rc, weight_drop=weight_drop, seed=layer_seed,
                                return_sequences=seq, stateful=stateful, name=f"{name}_{i}")
        elif cell == "lstm" and not isinstance(rc, seq_cells.ZoneoutCell):
            # keras.layers.LSTM picks cuDNN on a GPU; RNN(LSTMCell) never does.
            options = _cell_options(cell, "glorot_uniform", None, **init)
            rnn = keras.layers.LSTM(units, return_sequences=seq, stateful=stateful,
                                    name=f"{name}_{i}", **options)
        else:
            rnn = keras.layers.RNN(rc, return_sequences=seq, stateful=stateful,
                                   name=f"{name}_{i}")
        if bidirectional:
            rnn = keras.layers.Bidirectional(rnn, name=f"{name}_bi_{i}")
        x = rnn(x)
        if dropout and not last:
            between = LockedDropout if locked_dropout else keras.layers.Dropout
            x = between(dropout, seed=layer_seed, name=f"{name}_dropout_{i}")(x)
    return x


def _fields(config, cls) -> dict:
    """`config`'s values of the fields `cls` declares."""
    return {field.name: getattr(config, field.name) for field in dataclasses.fields(cls)}


def recurrent_cell(config: CellConfig, **options):
    """`make_cell` with the cell fields of `config` (a `CellConfig`).

    `options` are `make_cell`'s other arguments (`seed`, the initialisation)
    or cell fields to replace, e.g. a decoder's `units`.
    """
    return make_cell(**{**_fields(config, CellConfig), **options})


def recurrent_encoder(x, config: EncoderConfig, **options):
    """`recurrent_stack` over `x` with the encoder fields of `config` (an `EncoderConfig`).

    `options` are `recurrent_stack`'s other arguments (`seed`,
    `return_sequences`, `stateful`, `name`, the initialisation) or encoder
    fields to replace.

    Example:

    ```python
    config = EncoderConfig(cell="gru", units=32, layers=2, bidirectional=True)
    h = recurrent_encoder(keras.Input((None, 8)), config, return_sequences=True)
    # h: (batch, time, 64)
    ```
    """
    return recurrent_stack(x, **{**_fields(config, EncoderConfig), **options})


def _keras_hub():
    """keras-hub, imported on first use (the `transformer` extra)."""
    try:
        import keras_hub
    except ImportError as err:  # the config check names it first; this is for direct use
        raise ConfigError("a Transformer or hybrid encoder needs keras-hub; install it with "
                          "pip install 'seqsuite[transformer]'") from err
    return keras_hub


@keras.saving.register_keras_serializable(package="seqsuite")
class PositionEncoding(keras.layers.Layer):
    """Adds position encodings to its input (batch, time, width) and keeps its mask.

        y[b, t] = x[b, t] + p(t)

    with `p` keras-hub's `SinePositionEncoding` (`positions=0`: fixed,
    `p(t)_2i = sin(t / 10000^(2i / width))`, `p(t)_2i+1 = cos(...)`, any length) or
    `PositionEmbedding` (`positions=N`: one learned vector per position). A learned
    embedding refuses more than `N` steps with an error naming `field`: the check runs
    outside XLA (`supports_jit = False`), which would otherwise clamp the slice past the
    embedding's end silently. (Keras's `Add` drops the padding mask when one input has
    none, which is why the sum is a layer of its own.)

    Args:
        positions: `0` for sinusoidal encodings, else the learned embedding's length.
            Default: `0`.
        field: The config field a refusal names. Default: `"positions"`.
    """

    def __init__(self, positions: int = 0, field: str = "positions", **kwargs):
        super().__init__(**kwargs)
        require_range("positions", positions, low=0)
        self.positions = int(positions)
        self.field = field
        self.supports_masking = True
        self.supports_jit = not self.positions
        hub = _keras_hub()
        self.encoding = (hub.layers.PositionEmbedding(self.positions, name="embedding")
                         if self.positions else hub.layers.SinePositionEncoding(name="sine"))

    def build(self, input_shape):
        self.encoding.build(input_shape)

    def call(self, inputs):
        if self.positions:
            import tensorflow as tf

            check = tf.debugging.assert_less_equal(
                tf.shape(inputs)[1], self.positions, message=(
                    f"a sequence is longer than {self.field}={self.positions} allows; set "
                    f"--set {self.field}=N with N at least its length"))
            with tf.control_dependencies([check]):
                inputs = tf.identity(inputs)
        # The encoding reads only the shape; a fresh tensor carries no mask for the
        # keras-hub layer (which does not take one) to warn about.
        return inputs + ops.cast(self.encoding(ops.stop_gradient(inputs)), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "positions": self.positions, "field": self.field}


def attention_blocks(x, config: SequenceEncoderConfig, *, blocks: int, causal: bool = False,
                     positions: bool = True, memory=None, name: str = "attention"):
    """`blocks` pre-norm Transformer blocks over `x` (batch, time, features), at the
    width `attention_width(config)`.

    The input is projected to that width when it differs; with `positions`, position
    encodings are added first (`PositionEncoding(config.positions)`). Each block is
    keras-hub's `TransformerEncoder` (`causal=False`) or `TransformerDecoder` without
    cross-attention (`causal=True`: step t attends to steps <= t), with `config.heads`
    heads, a feed-forward layer of `config.ff_units` (0: twice the width) and
    `config.dropout`; the Keras padding mask of `x` is honoured throughout. With `memory`
    (batch, source_time, width), an encoder's output, the blocks are causal
    `TransformerDecoder`s that also attend to it (cross-attention, its mask honoured).
    `apply_attention_blocks` runs the built layers again, step by step.
    """
    hub = _keras_hub()
    width = attention_width(config)
    if x.shape[-1] != width:
        x = keras.layers.Dense(width, name=f"{name}_projection")(x)
    if positions:
        config.check_length(x.shape[1])
        x = PositionEncoding(config.positions, name=f"{name}_positions")(x)
    options = {"intermediate_dim": config.ff_units or 2 * width, "num_heads": config.heads,
               "dropout": config.dropout, "normalize_first": True}
    for i in range(blocks):
        if causal or memory is not None:
            with warnings.catch_warnings():
                # Its attention's key and value projections warn that they drop the mask;
                # the block passes the mask to the attention itself (tested).
                warnings.filterwarnings("ignore", message=".*does not support masking")
                x = hub.layers.TransformerDecoder(**options, name=f"{name}_{i}")(
                    x, encoder_sequence=memory, use_causal_mask=True)
        else:
            x = hub.layers.TransformerEncoder(**options, name=f"{name}_{i}")(x)
    # Pre-norm blocks leave the residual stream unnormalised: one final normalisation.
    return keras.layers.LayerNormalization(epsilon=1e-5, name=f"{name}_norm")(x)


def apply_attention_blocks(model: keras.Model, x, *, name: str, mask=None, memory=None,
                           memory_mask=None):
    """The layers `attention_blocks(..., name=name)` built in `model`, run again on `x`
    with explicit padding masks (bool (batch, time); `memory_mask` for `memory`): what a
    decoder needs step by step, outside the functional graph that carried the masks.
    Decoder blocks (those built causal or with a memory) stay causal."""
    names = {layer.name for layer in model.layers}
    get = model.get_layer
    if f"{name}_projection" in names:
        x = get(f"{name}_projection")(x)
    if f"{name}_positions" in names:
        x = get(f"{name}_positions")(x)
    i = 0
    while f"{name}_{i}" in names:
        block = get(f"{name}_{i}")
        if type(block).__name__ == "TransformerDecoder":
            x = block(x, encoder_sequence=memory, decoder_padding_mask=mask,
                      encoder_padding_mask=memory_mask, use_causal_mask=True)
        else:
            x = block(x, padding_mask=mask)
        i += 1
    return get(f"{name}_norm")(x)


def sequence_encoder(x, config: SequenceEncoderConfig, *, return_sequences: bool = False,
                     causal: bool = False, seed: int | None = None, name: str = "encoder",
                     **options):
    """The encoder `config.encoder` names, over `x` (batch, time, features).

    - `rnn`: `recurrent_encoder(x, config, ...)`; `options` are its further arguments.
    - `transformer`: `attention_blocks` with `config.layers` blocks.
    - `hybrid`: the recurrent stack and one attention block (without position
      encodings: the recurrence gives order), in `config.hybrid_order`.

    With `return_sequences=False` the result is one vector per sequence: the last state
    of a recurrence that ends the encoder (`rnn`, `attention_first`), else the mean over
    the unpadded steps. `causal=True` (language models) masks attention to the past; a
    causal suite must not set `bidirectional`.

    Example:

    ```python
    config = SequenceEncoderConfig(encoder="transformer", units=32, layers=2, heads=4)
    h = sequence_encoder(keras.Input((None, 8)), config, return_sequences=True)
    # h: (batch, time, 32)
    ```
    """
    kind = getattr(config, "encoder", "rnn")
    recurrent = {"seed": seed, "name": name, **options}
    if kind == "rnn":
        return recurrent_encoder(x, config, return_sequences=return_sequences, **recurrent)
    if kind == "transformer":
        h = attention_blocks(x, config, blocks=config.layers, causal=causal, name=name)
    elif config.hybrid_order == "rnn_first":
        h = recurrent_encoder(x, config, return_sequences=True, **recurrent)
        h = attention_blocks(h, config, blocks=1, causal=causal, positions=False,
                             name=f"{name}_attention")
    else:
        h = attention_blocks(x, config, blocks=1, causal=causal, positions=False,
                             name=f"{name}_attention")
        return recurrent_encoder(h, config, return_sequences=return_sequences, **recurrent)
    if return_sequences:
        return h
    return keras.layers.GlobalAveragePooling1D(name=f"{name}_mean")(h)
