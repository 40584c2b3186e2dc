"""Linear-chain conditional random field: a layer, its negative log-likelihood, Viterbi.

TensorFlow Addons' `tfa.text.crf_*` functions and `tfa.layers.CRF` ended with
TFA; this is the same model in Keras 3 (TensorFlow backend). For per-token
tag scores `e` (batch, time, tags), a `transitions` matrix `A` and optional
`start` and `end` vectors, a tag sequence `y` of a sequence of length `L` scores

```
score(y) = start[y_0] + Σ_{t<L} e[t, y_t] + Σ_{0<t<L} A[y_{t-1}, y_t] + end[y_{L-1}]
P(y | e) = exp(score(y)) / Z,       log Z = logsumexp over all tag sequences of score
```

Everything downstream works on *chain potentials* `ψ` (batch, time, tags,
tags), the score of moving from tag `i` at the previous step to tag `j` at
step `t`, which `chain_potentials` builds once with the mask folded in:

```
ψ[t, i, j] = A[i, j] + e[t, j]                 a valid step after a valid step
ψ[t, i, j] = start[j] + e[t, j]                the first valid step (every row i)
ψ[t, i, j] += end[j]                           the last valid step
ψ[t, i, j] = 0 if i == j else -1e9             a padded step: the tag is copied
```

so `score(y) = Σ_t ψ[t, y_{t-1}, y_t]` with `y_{-1} = 0` and padded steps
repeating the previous tag, and the forward algorithm
`α_t[j] = logsumexp_i(α_{t-1}[i] + ψ[t, i, j])`, started from `α_{-1} = (0,
-1e9, ...)`, gives `log Z = logsumexp_j α_{T-1}[j]` for any mask: right
padding, left padding or holes (a padded step is skipped, and the tags on
either side of it are joined by one transition). The loss is then a plain
function of the labels and the layer's output, so a model with a `CRF` head
compiles, trains, checkpoints and saves like any other Keras model:

    emissions = keras.layers.Dense(num_tags)(encoder_outputs)   # masked (batch, time, tags)
    potentials = CRF(name="crf")(emissions)                     # (batch, time, tags, tags)
    model = keras.Model(tokens, potentials)
    model.compile("adam", loss=CRFLoss())       # labels: int (batch, time), -1 at padding
    tags, best_score = crf_decode(model(tokens))                # Viterbi

From TFA: `tfa.text.crf_log_likelihood(inputs, tags, lengths, A)[0]` is
`crf_log_likelihood(chain_potentials(inputs, A, mask=tf.sequence_mask(lengths)),
tags, mask=tf.sequence_mask(lengths))`, and `tfa.text.crf_decode(inputs, A,
lengths)` is `crf_decode(chain_potentials(inputs, A, mask=...))` with the
padded positions ignored. The loops are `tf.scan`s, so all of it runs eagerly,
in `tf.function` and in SavedModel signatures, for any time length.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import constraints, initializers, ops, regularizers

# The score of an impossible move. Finite, so that neither logsumexp nor its
# gradient ever meets inf - inf; exp(-1e9 + anything reasonable) is exactly 0.
IMPOSSIBLE = -1e9


def chain_potentials(emissions, transitions, start_transitions=None, end_transitions=None,
                     mask=None):
    """Chain potentials `ψ` (batch, time, tags, tags) from per-token tag scores.

    Args:
        emissions: Float tensor `(batch, time, tags)`, the score of each tag
            at each step (for example a `Dense(tags)` over an encoder).
        transitions: Float tensor `(tags, tags)`, `A[i, j]` the score of tag
            `j` following tag `i`.
        start_transitions: Optional float tensor `(tags,)`, added to the
            first valid step. Default: `None` (no start scores).
        end_transitions: Optional float tensor `(tags,)`, added to the last
            valid step. Default: `None`.
        mask: Optional boolean tensor `(batch, time)`, `False` at padding.
            Default: `None`, every step valid.

    Returns:
        float32 `(batch, time, tags, tags)`; see the module docstring.
    """
    emissions = ops.cast(emissions, "float32")
    transitions = ops.cast(transitions, "float32")
    num_tags = ops.shape(emissions)[-1]
    if mask is None:
        mask = ops.ones(ops.shape(emissions)[:2], dtype="bool")
    mask = ops.cast(mask, "bool")
    seen = ops.cumsum(ops.cast(mask, "int32"), axis=1)  # valid steps up to and including t
    first = mask & (seen == 1)
    last = mask & (seen == seen[:, -1:])
    unary = emissions
    if end_transitions is not None:
        end = ops.cast(end_transitions, "float32")
        unary = unary + ops.where(last[..., None], end, 0.0)
    start_row = unary if start_transitions is None else (
        unary + ops.cast(start_transitions, "float32"))
    pair = transitions[None, None] + unary[:, :, None, :]  # (batch, time, from, to)
    pair = ops.where(first[..., None, None], start_row[:, :, None, :], pair)
    copy = ops.where(ops.eye(num_tags, dtype="bool"), 0.0, IMPOSSIBLE)
    return ops.where(mask[..., None, None], pair, copy)


def _time_major(potentials):
    return tf.transpose(tf.convert_to_tensor(potentials, tf.float32), [1, 0, 2, 3])


def _initial(potentials):
    """α_{-1}: every path starts in tag 0 (whose row holds the start scores)."""
    batch, num_tags = tf.shape(potentials)[0], tf.shape(potentials)[-1]
    row = tf.where(tf.range(num_tags) == 0, 0.0, IMPOSSIBLE)
    return tf.tile(row[None], [batch, 1])


def crf_log_norm(potentials):
    """log Z (batch,): the forward algorithm in log space over chain potentials."""

    def step(alpha, psi_t):  # alpha (batch, tags), psi_t (batch, from, to)
        return tf.reduce_logsumexp(alpha[:, :, None] + psi_t, axis=1)

    alphas = tf.scan(step, _time_major(potentials), initializer=_initial(potentials))
    return tf.reduce_logsumexp(alphas[-1], axis=-1)


def _fill_padding(tags, mask=None):
    """Tags with each padded position (tag < 0 or mask False) repeating the previous tag."""
    tags = tf.cast(tags, tf.int32)
    valid = tags >= 0
    if mask is not None:
        valid &= tf.cast(mask, tf.bool)
    filled = tf.scan(lambda prev, x: tf.where(x[1], x[0], prev),
                     (tf.transpose(tags), tf.transpose(valid)),
                     initializer=tf.zeros_like(tags[:, 0]))
    return tf.transpose(filled)  # (batch, time)


def crf_sequence_score(potentials, tags, mask=None):
    """score(y) (batch,) of tag sequences under chain potentials.

    Args:
        potentials: `(batch, time, tags, tags)` from `chain_potentials`.
        tags: Integer tensor `(batch, time)`; negative values mark padding.
        mask: Optional boolean `(batch, time)`; `False` also marks padding.
            Padding must agree with the mask the potentials were built with.
    """
    potentials = tf.convert_to_tensor(potentials, tf.float32)
    current = _fill_padding(tags, mask)
    previous = tf.pad(current[:, :-1], [[0, 0], [1, 0]])  # y_{-1} = 0
    num_tags = tf.shape(potentials)[-1]
    flat = tf.reshape(potentials, tf.concat([tf.shape(potentials)[:2], [-1]], 0))
    picked = tf.gather(flat, previous * num_tags + current, batch_dims=2)
    return tf.reduce_sum(picked, axis=1)


def crf_log_likelihood(potentials, tags, mask=None):
    """log P(tags) (batch,) = `crf_sequence_score - crf_log_norm`; arguments as there."""
    return crf_sequence_score(potentials, tags, mask) - crf_log_norm(potentials)


def crf_decode(potentials):
    """Viterbi: the highest-scoring tag sequence and its score.

    Args:
        potentials: `(batch, time, tags, tags)` from `chain_potentials`.

    Returns:
        `(tags, best_score)`: int32 `(batch, time)` and float32 `(batch,)`.
        A padded position repeats the tag before it (tag 0 before the first
        valid step); mask it away as needed.
    """
    psi = _time_major(potentials)
    initial = _initial(potentials)

    def forward(carry, psi_t):
        scores = carry[0][:, :, None] + psi_t  # (batch, from, to)
        return tf.reduce_max(scores, axis=1), tf.argmax(scores, axis=1, output_type=tf.int32)

    deltas, backpointers = tf.scan(forward, psi,
                                   initializer=(initial, tf.zeros_like(initial, tf.int32)))
    best_last = tf.argmax(deltas[-1], axis=-1, output_type=tf.int32)  # (batch,)

    def backward(tag, pointers):  # tag_t -> tag_{t-1} = pointers_t[tag_t]
        return tf.gather(pointers, tag[:, None], batch_dims=1)[:, 0]

    # previous[t] = tag_{t-1}; previous[0] is meaningless. Scanning all steps (rather
    # than backpointers[1:]) keeps the scan non-empty when time is 1.
    previous = tf.scan(backward, backpointers, initializer=best_last, reverse=True)
    tags = tf.concat([previous[1:], best_last[None]], axis=0)
    return tf.transpose(tags), tf.reduce_max(deltas[-1], axis=-1)


@keras.saving.register_keras_serializable(package="seqsuite")
class CRF(keras.layers.Layer):
    """Linear-chain CRF head: per-token tag scores -> chain potentials.

    Holds the `transitions` matrix `(tags, tags)` and, with `use_boundary`,
    `start_transitions` and `end_transitions` `(tags,)`, and returns the
    chain potentials `ψ` of the module docstring, with the Keras mask of its
    input (or `mask=`) folded in. Train with `CRFLoss` (labels `(batch,
    time)`, `-1` at padding) and decode with `crf_decode`. The output carries
    no Keras mask: the padding is inside `ψ`. Computation is in float32 under
    any dtype policy (the forward algorithm sums over the whole sequence).

    Args:
        use_boundary: Whether to learn start and end scores. Default: `True`.
        transitions_initializer: Initializer for `transitions`.
            Default: `"zeros"` (training starts from independent tags).
        boundary_initializer: Initializer for the start and end scores.
            Default: `"zeros"`.
        transitions_regularizer: Regularizer for `transitions`. Default: `None`.
        boundary_regularizer: Regularizer for the start and end scores.
            Default: `None`.
        transitions_constraint: Constraint for `transitions`. Default: `None`.
        boundary_constraint: Constraint for the start and end scores.
            Default: `None`.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Float tensor `(batch, time, tags)`: tag scores per token.
        mask: Optional boolean `(batch, time)`, `False` at padding.
            Default: the Keras mask of `inputs`, if any.

    Returns:
        float32 `(batch, time, tags, tags)`.

    Example:

    >>> tokens = keras.Input((None,), dtype="int32")
    >>> x = keras.layers.Embedding(100, 16, mask_zero=True)(tokens)
    >>> x = keras.layers.Bidirectional(keras.layers.LSTM(16, return_sequences=True))(x)
    >>> potentials = CRF()(keras.layers.Dense(5)(x))
    >>> model = keras.Model(tokens, potentials)
    >>> model.compile("adam", loss=CRFLoss())
    >>> tags, score = crf_decode(model(np.array([[4, 7, 2, 0]])))
    """

    def __init__(self, use_boundary=True, transitions_initializer="zeros",
                 boundary_initializer="zeros", transitions_regularizer=None,
                 boundary_regularizer=None, transitions_constraint=None,
                 boundary_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.use_boundary = bool(use_boundary)
        self.transitions_initializer = initializers.get(transitions_initializer)
        self.boundary_initializer = initializers.get(boundary_initializer)
        self.transitions_regularizer = regularizers.get(transitions_regularizer)
        self.boundary_regularizer = regularizers.get(boundary_regularizer)
        self.transitions_constraint = constraints.get(transitions_constraint)
        self.boundary_constraint = constraints.get(boundary_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        num_tags = input_shape[-1]
        if num_tags is None or num_tags < 1:
            raise ValueError("CRF needs a known number of tags on the last input axis. "
                             f"Received: input_shape={input_shape}")
        self.num_tags = int(num_tags)
        self.transitions = self.add_weight(
            shape=(self.num_tags, self.num_tags), name="transitions",
            initializer=self.transitions_initializer,
            regularizer=self.transitions_regularizer, constraint=self.transitions_constraint)
        self.start_transitions = self.end_transitions = None
        if self.use_boundary:
            boundary = dict(shape=(self.num_tags,), initializer=self.boundary_initializer,
                            regularizer=self.boundary_regularizer,
                            constraint=self.boundary_constraint)
            self.start_transitions = self.add_weight(name="start_transitions", **boundary)
            self.end_transitions = self.add_weight(name="end_transitions", **boundary)

    def call(self, inputs, mask=None):
        return chain_potentials(inputs, self.transitions, self.start_transitions,
                                self.end_transitions, mask)

    def compute_output_shape(self, input_shape):
        return (*input_shape, input_shape[-1])

    def compute_output_spec(self, inputs, mask=None):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype="float32")

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = {
            "use_boundary": self.use_boundary,
            "transitions_initializer": initializers.serialize(self.transitions_initializer),
            "boundary_initializer": initializers.serialize(self.boundary_initializer),
            "transitions_regularizer": regularizers.serialize(self.transitions_regularizer),
            "boundary_regularizer": regularizers.serialize(self.boundary_regularizer),
            "transitions_constraint": constraints.serialize(self.transitions_constraint),
            "boundary_constraint": constraints.serialize(self.boundary_constraint),
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="seqsuite")
class CRFLoss(keras.losses.Loss):
    """Negative log-likelihood of gold tag sequences under a `CRF` layer's output.

    `y_true` is integer `(batch, time)` with `-1` (any negative value) at
    padded positions, exactly where the `CRF` layer's mask was `False`;
    `y_pred` is the layer's chain potentials. The per-sequence loss is
    `-crf_log_likelihood(y_pred, y_true)`, summed over the sequence's tokens
    and, with the default reduction, averaged over the batch (as TFA's CRF).

    Args:
        reduction: Keras loss reduction. Default: `"sum_over_batch_size"`.
        name: Default: `"crf_loss"`.
        dtype: Default: `None` (the Keras float type).
    """

    def __init__(self, reduction="sum_over_batch_size", name="crf_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        tags = tf.cast(tf.round(tf.cast(y_true, tf.float32)), tf.int32)
        return -crf_log_likelihood(y_pred, tags)
