"""The AWD-LSTM regularisers (Merity, Keskar and Socher 2018), for any cell of the library.

Dropout that resamples its mask at every time step disturbs the recurrence it is meant
to regularise; these drop the same things for a whole sequence (or a whole batch):

- `WeightDropRNN`: DropConnect on the recurrent kernel (Wan et al. 2013). A
  `keras.layers.RNN` whose cell's `U` is replaced, for one training call, by
  `U * m / (1 - p)`, `m_ij ~ Bernoulli(1 - p)`: one mask for every step and every
  sequence of the batch. The cell's own code runs unchanged, so it works for Keras's
  cells and the library's (layer-norm, peephole, zoneout-wrapped).
- `LockedDropout`: variational dropout (Gal and Ghahramani 2016) of a sequence's
  features, one mask per sequence, `y_t = x_t * m / (1 - p)` for every t.
- `DropoutEmbedding`: an `Embedding` that drops whole words (rows of the table) for a
  batch, `E' = E * m / (1 - p)` with `m_w ~ Bernoulli(1 - p)` per word type: every
  occurrence of a dropped word in the batch is zero.
- `ActivationRegularization`: AR and TAR on a recurrent layer's outputs h (batch, time,
  units), over the unmasked steps: `alpha * mean(h_t^2) + beta * mean((h_t - h_{t-1})^2)`,
  added to the training loss; the outputs pass unchanged.
- `TiedEmbedding`: one table for the input embedding and the output layer (Inan et al.
  2017; Press and Wolf 2017): `embed(ids) = E[ids]`, `logits(h) = h E^T + b`.

Every one is the identity at inference.
"""

from __future__ import annotations

import keras
from keras import ops


def _check_rate(name: str, rate) -> float:
    if not 0 <= float(rate) < 1:
        raise ValueError(f"{name} must be in [0, 1), got {rate}")
    return float(rate)


def _innermost(cell):
    """The cell that owns the recurrent kernel (through wrappers such as `ZoneoutCell`)."""
    while not hasattr(cell, "recurrent_kernel") and hasattr(cell, "cell"):
        cell = cell.cell
    return cell


@keras.saving.register_keras_serializable(package="seqsuite")
class WeightDropRNN(keras.layers.RNN):
    """`keras.layers.RNN` with DropConnect on its cell's recurrent kernel while training.

    Args:
        cell: a recurrent cell with a `recurrent_kernel` (or a wrapper of one).
        weight_drop: the rate p in [0, 1) (default 0: a plain RNN).
        seed: seed of the masks (default None).
        **kwargs: `keras.layers.RNN`'s arguments (`return_sequences`, ...).
    """

    def __init__(self, cell, weight_drop=0.0, seed=None, **kwargs):
        super().__init__(cell, **kwargs)
        self.weight_drop = _check_rate("weight_drop", weight_drop)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, sequences_shape, initial_state_shape=None):
        super().build(sequences_shape, initial_state_shape)
        if not hasattr(_innermost(self.cell), "recurrent_kernel"):
            raise ValueError(f"WeightDropRNN: the cell {type(self.cell).__name__} has no "
                             "recurrent_kernel to drop")

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not training or not self.weight_drop:
            return super().call(sequences, initial_state=initial_state, mask=mask,
                                training=training)
        owner = _innermost(self.cell)
        kernel = owner.recurrent_kernel
        keep = ops.greater_equal(keras.random.uniform(kernel.shape, seed=self.seed_generator),
                                 self.weight_drop)
        dropped = ops.where(keep, kernel / (1.0 - self.weight_drop), 0.0)
        # The cell reads `recurrent_kernel` at every step: for this call it reads the
        # dropped tensor (gradients reach the kernel through it), then the variable again.
        object.__setattr__(owner, "recurrent_kernel", dropped)
        try:
            return super().call(sequences, initial_state=initial_state, mask=mask,
                                training=training)
        finally:
            object.__setattr__(owner, "recurrent_kernel", kernel)

    def get_config(self):
        return {**super().get_config(), "weight_drop": self.weight_drop, "seed": self.seed}


@keras.saving.register_keras_serializable(package="seqsuite")
class LockedDropout(keras.layers.Layer):
    """Dropout of a sequence's features (batch, time, features) with one mask per sequence.

    Args:
        rate: the share of features dropped, in [0, 1).
        seed: seed of the masks (default None).
    """

    streams_stepwise = True  # the identity at inference (streaming)

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate("rate", rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or not self.rate:
            return inputs
        shape = ops.shape(inputs)
        keep = ops.greater_equal(
            keras.random.uniform((shape[0], 1, shape[-1]), seed=self.seed_generator), self.rate)
        return ops.where(keep, inputs / (1.0 - self.rate), ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="seqsuite")
class DropoutEmbedding(keras.layers.Embedding):
    """`keras.layers.Embedding` that drops whole word types of the table while training.

    Args:
        input_dim, output_dim: as `keras.layers.Embedding` (its other arguments too).
        dropout: the share of word types dropped for a batch, in [0, 1) (default 0).
        seed: seed of the masks (default None).
    """

    def __init__(self, input_dim, output_dim, dropout=0.0, seed=None, **kwargs):
        super().__init__(input_dim, output_dim, **kwargs)
        self.dropout = _check_rate("dropout", dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or not self.dropout:
            return super().call(inputs)
        keep = ops.greater_equal(
            keras.random.uniform((self.input_dim, 1), seed=self.seed_generator), self.dropout)
        table = ops.where(keep, self.embeddings / (1.0 - self.dropout), 0.0)
        if ops.dtype(inputs) not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        return ops.take(table, inputs, axis=0)

    def compute_output_spec(self, inputs, training=False):
        return super().compute_output_spec(inputs)

    def get_config(self):
        return {**super().get_config(), "dropout": self.dropout, "seed": self.seed}


@keras.saving.register_keras_serializable(package="seqsuite")
class ActivationRegularization(keras.layers.Layer):
    """AR and TAR of recurrent outputs (batch, time, units), over the unmasked steps.

    Args:
        alpha: weight of `mean(h_t^2)` (AR; AWD-LSTM: 2).
        beta: weight of `mean((h_t - h_{t-1})^2)` over pairs of unmasked steps (TAR;
            AWD-LSTM: 1).
    """

    streams_stepwise = True  # a training loss, the identity on its outputs (streaming)

    def __init__(self, alpha=0.0, beta=0.0, **kwargs):
        super().__init__(**kwargs)
        if alpha < 0 or beta < 0:
            raise ValueError(f"alpha and beta must be >= 0, got {alpha} and {beta}")
        self.alpha, self.beta = float(alpha), float(beta)
        self.supports_masking = True

    def penalty(self, inputs, mask=None):
        """`alpha * AR + beta * TAR` of `inputs` (the added loss), as a scalar tensor."""
        h = ops.cast(inputs, "float32")
        steps = (ops.ones(ops.shape(h)[:2]) if mask is None
                 else ops.cast(mask, "float32"))  # (batch, time)
        units = ops.cast(ops.shape(h)[-1], "float32")
        ar = ops.sum(ops.square(h) * steps[..., None]) / ops.maximum(ops.sum(steps) * units, 1.0)
        pairs = steps[:, 1:] * steps[:, :-1]
        difference = ops.square(h[:, 1:] - h[:, :-1]) * pairs[..., None]
        tar = ops.sum(difference) / ops.maximum(ops.sum(pairs) * units, 1.0)
        return self.alpha * ar + self.beta * tar

    def call(self, inputs, mask=None, training=False):
        if training and (self.alpha or self.beta):
            self.add_loss(self.penalty(inputs, mask))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}


@keras.saving.register_keras_serializable(package="seqsuite")
class TiedEmbedding(keras.layers.Layer):
    """One table for the input embedding and the output layer: called on ids (int) it
    embeds, `E[ids]`; with `logits=True` on vectors (..., output_dim) it scores every
    word, `h E^T + b` (..., input_dim).

    Args:
        input_dim: the vocabulary size.
        output_dim: the embedding width; the vectors given to `logits=True` must have it.
        mask_zero: id 0 is padding, masked (default False).
        embeddings_initializer: default `"uniform"`, as `keras.layers.Embedding`.
    """

    streams_stepwise = True  # a lookup or a dense layer, step by step (streaming)

    def __init__(self, input_dim, output_dim, mask_zero=False,
                 embeddings_initializer="uniform", **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          name="embeddings")
        self.output_bias = self.add_weight(shape=(self.input_dim,), initializer="zeros",
                                           name="output_bias")

    def call(self, inputs, logits=False):
        if logits:
            return ops.matmul(inputs, ops.transpose(self.embeddings)) + self.output_bias
        return ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)

    def compute_output_spec(self, inputs, logits=False):
        if logits:
            return keras.KerasTensor((*inputs.shape[:-1], self.input_dim),
                                     dtype=self.compute_dtype)
        return keras.KerasTensor((*inputs.shape, self.output_dim), dtype=self.compute_dtype)

    def compute_mask(self, inputs, mask=None, logits=False):
        if logits:
            return mask
        return ops.not_equal(inputs, 0) if self.mask_zero else None

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim, "mask_zero": self.mask_zero,
                "embeddings_initializer": keras.initializers.serialize(
                    self.embeddings_initializer)}
