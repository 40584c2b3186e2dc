"""Autoregressive decoding for any decoder: greedy, sampling and beam search.

`decode` drives a step function `step_fn(token_ids, state) -> (logits, new_state)`
until every sequence has emitted the end token or `max_length` tokens. The
loop is a `tf.while_loop` over fixed-shape tensors, so the same call runs
eagerly, inside a `tf.function`, and in a SavedModel serving signature.

    result = decode(step_fn, state, start_tokens, end_token=2, max_length=40,
                    method="beam", beam_width=4, length_penalty=0.6)
    result.ids        # (batch, max_length) int32, the end token then `pad_token`
    result.lengths    # (batch,) tokens up to and including the end token
    result.scores     # (batch,) log-probability (beam: divided by the length penalty)
"""

import collections
import numbers

import tensorflow as tf

from seqsuite.shared.checks import check_argument

METHODS = ("greedy", "sample", "beam")

DecodeResult = collections.namedtuple("DecodeResult", ["ids", "lengths", "scores"])
DecodeResult.__doc__ = """What `decode` returns.

Attributes:
    ids: int32 `(batch, max_length)`: the generated tokens, the end token
        where it was emitted, `pad_token` after it. With `return_all_beams`,
        `(batch, beam_width, max_length)`, best beam first.
    lengths: int32 `(batch,)` (or `(batch, beam_width)`): the number of tokens
        up to and including the end token; `max_length` for a sequence that
        never emitted it.
    scores: float32 `(batch,)` (or `(batch, beam_width)`): the sum of the
        tokens' log-probabilities under the model (untempered, untruncated);
        for beam search divided by the length penalty, the score it ranks by.
"""


def length_penalty_factor(lengths, alpha):
    """GNMT's length penalty (Wu et al., 2016): `((5 + length) / 6) ** alpha`.

    Beam search ranks a hypothesis by `log P / length_penalty_factor(length)`;
    `alpha = 0` is plain log-probability, larger `alpha` favours longer output.
    """
    return tf.pow((5.0 + tf.cast(lengths, tf.float32)) / 6.0, alpha)


def tile_for_beam(structure, beam_width):
    """Repeats every tensor of a nested structure `beam_width` times along the batch axis.

    Row `b` of the input becomes rows `b * beam_width ... (b + 1) * beam_width - 1`,
    the layout `decode(method="beam")` uses. `decode` tiles the state it is
    given; tile with this whatever the step function closes over and needs per
    row, such as the encoder memory and its mask.

    Args:
        structure: A tensor, array, or nested structure of them, each with
            the batch on axis 0.
        beam_width: Positive integer.

    Returns:
        The same structure with batch `batch * beam_width`.
    """
    check_argument("beam_width", beam_width, low=1, integer=True)
    return tf.nest.map_structure(lambda x: tf.repeat(x, beam_width, axis=0), structure)


def decode(
    step_fn,
    initial_state,
    start_tokens,
    end_token,
    max_length,
    method="greedy",
    temperature=1.0,
    top_k=0,
    beam_width=4,
    length_penalty=0.0,
    seed=None,
    pad_token=None,
    return_all_beams=False,
):
    """Decodes a batch of sequences token by token with a step function.

    `step_fn(token_ids, state)` takes the previous tokens, int32 `(rows,)`,
    and the decoder state, a nested structure of tensors with `rows` on axis
    0, and returns `(logits, new_state)`: logits `(rows, vocab)` for the next
    token and a state of the same structure. `rows` is the batch size, or
    `batch * beam_width` for beam search, whose rows for batch entry `b` are
    `b * beam_width ...`; `decode` tiles `initial_state` itself and reorders
    the state by parent beam after every step. Tensors the step function
    closes over are not seen here: tile them with `tile_for_beam` (or carry
    them in the state, at the cost of a gather per step).

    Methods:
        greedy: the most probable token at every step.
        sample: a draw from `softmax(logits / temperature)`, restricted to the
            `top_k` most probable tokens when `top_k > 0`. Draws are
            stateless, keyed by `seed` and the step, so a seed gives the same
            tokens every time, in eager and graph mode alike.
        beam: beam search keeping `beam_width` hypotheses per batch entry,
            ranked by `log P / ((5 + length) / 6) ** length_penalty` (GNMT).
            A finished hypothesis stays in the beam with its score; the best
            is returned.

    Every method stops when all rows have emitted `end_token`, or after
    `max_length` tokens.

    Args:
        step_fn: Callable `(token_ids, state) -> (logits, new_state)`.
        initial_state: Nested structure of tensors, batch on axis 0 (not
            tiled for beam search).
        start_tokens: int `(batch,)`, the first input tokens.
        end_token: int, the token that ends a sequence.
        max_length: Positive int (or scalar int tensor), the most tokens to
            generate, end token included.
        method: `"greedy"`, `"sample"` or `"beam"`. Default: `"greedy"`.
        temperature: Positive float dividing the logits before sampling.
            Default: `1.0`.
        top_k: Sample among the `top_k` most probable tokens only; `0` for
            all. Default: `0`.
        beam_width: Positive int, hypotheses kept per entry. Default: `4`.
        length_penalty: GNMT's `alpha`, `>= 0`. Default: `0.0`.
        seed: int or scalar int tensor for sampling; `None` draws a fresh seed
            at every call. Default: `None`.
        pad_token: The token written after the end token in `ids` (finished
            rows are fed the end token again). Default: `end_token`.
        return_all_beams: For beam search, return every hypothesis, sorted
            best first, with a beam axis after the batch. Default: `False`.

    Returns:
        A `DecodeResult(ids, lengths, scores)`.

    Example:

    >>> table = tf.math.log(tf.constant([[0.1, 0.9, 0.0], [0.2, 0.2, 0.6], [0.0, 0.0, 1.0]]))
    >>> step_fn = lambda tokens, state: (tf.gather(table, tokens), state)
    >>> state = tf.zeros((1, 1))
    >>> decode(step_fn, state, [0], end_token=2, max_length=5).ids.numpy()
    array([[1, 2, 2, 2, 2]], dtype=int32)
    """
    if method not in METHODS:
        raise ValueError(f"Argument `method` must be one of {METHODS}. Received: method={method}")
    # `max_length` and `temperature` may also be tensors (a serving signature's inputs).
    if isinstance(max_length, numbers.Number):
        check_argument("max_length", max_length, low=1, integer=True)
    if isinstance(temperature, numbers.Number):
        check_argument("temperature", temperature, low=0, low_open=True)
    check_argument("top_k", top_k, low=0, integer=True)
    check_argument("beam_width", beam_width, low=1, integer=True)
    check_argument("length_penalty", length_penalty, low=0)
    if not callable(step_fn):
        raise ValueError(f"Argument `step_fn` must be callable. Received: step_fn={step_fn}")

    start_tokens = tf.cast(tf.convert_to_tensor(start_tokens), tf.int32)
    if start_tokens.shape.rank != 1:
        raise ValueError(
            f"Argument `start_tokens` must have shape (batch,). Received: shape={start_tokens.shape}"
        )
    end_token = tf.cast(end_token, tf.int32)
    pad_token = end_token if pad_token is None else tf.cast(pad_token, tf.int32)
    max_length = tf.cast(max_length, tf.int32)
    initial_state = tf.nest.map_structure(tf.convert_to_tensor, initial_state)

    if method == "beam":
        return _beam_search(
            step_fn,
            initial_state,
            start_tokens,
            end_token,
            pad_token,
            max_length,
            beam_width,
            float(length_penalty),
            return_all_beams,
        )
    choose = _argmax if method == "greedy" else _sampler(temperature, top_k, seed)
    return _decode_one_path(
        step_fn, initial_state, start_tokens, end_token, pad_token, max_length, choose
    )


def _argmax(logits, step):
    del step
    return tf.argmax(logits, axis=-1, output_type=tf.int32)


def _sampler(temperature, top_k, seed):
    if seed is None:
        # A fresh base seed per call; the steps are then keyed off it.
        base_seed = tf.random.uniform((), maxval=2**31 - 1, dtype=tf.int32)
    else:
        base_seed = tf.cast(seed, tf.int32)

    def sample(logits, step):
        logits = logits / tf.cast(temperature, logits.dtype)
        if top_k > 0:
            k = tf.minimum(top_k, tf.shape(logits)[-1])
            kth_largest = tf.math.top_k(logits, k=k).values[:, -1:]
            logits = tf.where(
                logits < kth_largest, tf.constant(-float("inf"), logits.dtype), logits
            )
        draws = tf.random.stateless_categorical(
            logits, 1, seed=tf.stack([base_seed, step]), dtype=tf.int32
        )
        return draws[:, 0]

    return sample


def _decode_one_path(
    step_fn, initial_state, start_tokens, end_token, pad_token, max_length, choose
):
    batch_size = tf.shape(start_tokens)[0]

    def cond(step, tokens, state, finished, lengths, scores, ids):
        return tf.logical_and(step < max_length, tf.logical_not(tf.reduce_all(finished)))

    def body(step, tokens, state, finished, lengths, scores, ids):
        logits, new_state = step_fn(tokens, state)
        logits = tf.cast(logits, tf.float32)
        chosen = choose(logits, step)
        log_probs = tf.gather(tf.nn.log_softmax(logits), chosen, batch_dims=1)
        scores += tf.where(finished, 0.0, log_probs)
        lengths += tf.cast(tf.logical_not(finished), tf.int32)
        ids = _write_column(ids, step, tf.where(finished, pad_token, chosen))
        # Finished rows are fed the end token: always a token the model knows.
        next_tokens = tf.where(finished, end_token, chosen)
        finished = tf.logical_or(finished, tf.equal(chosen, end_token))
        return (
            step + 1,
            next_tokens,
            _same_structure(state, new_state),
            finished,
            lengths,
            scores,
            ids,
        )

    loop_vars = (
        tf.constant(0),
        start_tokens,
        initial_state,
        tf.zeros((batch_size,), tf.bool),
        tf.zeros((batch_size,), tf.int32),
        tf.zeros((batch_size,), tf.float32),
        tf.fill(tf.stack([batch_size, max_length]), pad_token),
    )
    _, _, _, _, lengths, scores, ids = tf.while_loop(
        cond, body, loop_vars, shape_invariants=_batch_free_shapes(loop_vars)
    )
    return DecodeResult(ids, lengths, scores)


def _beam_search(
    step_fn,
    initial_state,
    start_tokens,
    end_token,
    pad_token,
    max_length,
    beam_width,
    alpha,
    return_all_beams,
):
    batch_size = tf.shape(start_tokens)[0]
    # Row of beam k of batch entry b, in the tiled layout.
    batch_offsets = tf.range(batch_size)[:, None] * beam_width

    def cond(step, tokens, state, log_probs, finished, lengths, ids):
        return tf.logical_and(step < max_length, tf.logical_not(tf.reduce_all(finished)))

    def body(step, tokens, state, log_probs, finished, lengths, ids):
        logits, new_state = step_fn(tokens, state)
        logits = tf.cast(logits, tf.float32)
        vocab_size = tf.shape(logits)[-1]
        step_log_probs = tf.reshape(
            tf.nn.log_softmax(logits), tf.stack([batch_size, beam_width, vocab_size])
        )
        # A finished hypothesis has one continuation, the end token again, at
        # no cost, so it competes with its final score at every later step.
        end_only = tf.where(tf.equal(tf.range(vocab_size), end_token), 0.0, -float("inf"))
        step_log_probs = tf.where(finished[:, :, None], end_only, step_log_probs)
        total = log_probs[:, :, None] + step_log_probs  # (batch, beam, vocab)
        new_lengths = lengths + tf.cast(tf.logical_not(finished), tf.int32)
        ranking = total / length_penalty_factor(new_lengths, alpha)[:, :, None]

        flat_shape = tf.stack([batch_size, beam_width * vocab_size])
        _, choice = tf.math.top_k(tf.reshape(ranking, flat_shape), k=beam_width)
        parents, next_tokens = choice // vocab_size, choice % vocab_size  # (batch, beam)
        log_probs = tf.gather(tf.reshape(total, flat_shape), choice, batch_dims=1)
        lengths = tf.gather(new_lengths, parents, batch_dims=1)
        parent_finished = tf.gather(finished, parents, batch_dims=1)
        finished = tf.logical_or(parent_finished, tf.equal(next_tokens, end_token))
        ids = _write_column(
            tf.gather(ids, parents, batch_dims=1),
            step,
            tf.where(parent_finished, pad_token, next_tokens),
        )
        rows = tf.reshape(batch_offsets + parents, [-1])
        new_state = tf.nest.map_structure(lambda s: tf.gather(s, rows), new_state)
        return (
            step + 1,
            tf.reshape(next_tokens, [-1]),
            _same_structure(state, new_state),
            log_probs,
            finished,
            lengths,
            ids,
        )

    # Only the first beam is live at the start: identical beams would
    # otherwise fill the beam with copies of the same hypothesis.
    first_beam_only = tf.concat([tf.zeros((1,)), tf.fill((beam_width - 1,), -float("inf"))], axis=0)
    loop_vars = (
        tf.constant(0),
        tf.repeat(start_tokens, beam_width),
        tile_for_beam(initial_state, beam_width),
        tf.tile(first_beam_only[None, :], tf.stack([batch_size, 1])),
        tf.zeros((batch_size, beam_width), tf.bool),
        tf.zeros((batch_size, beam_width), tf.int32),
        tf.fill(tf.stack([batch_size, beam_width, max_length]), pad_token),
    )
    _, _, _, log_probs, _, lengths, ids = tf.while_loop(
        cond, body, loop_vars, shape_invariants=_batch_free_shapes(loop_vars)
    )
    scores = log_probs / length_penalty_factor(lengths, alpha)
    scores, order = tf.math.top_k(scores, k=beam_width)
    ids = tf.gather(ids, order, batch_dims=1)
    lengths = tf.gather(lengths, order, batch_dims=1)
    if return_all_beams:
        return DecodeResult(ids, lengths, scores)
    return DecodeResult(ids[:, 0], lengths[:, 0], scores[:, 0])


def _write_column(ids, step, tokens):
    """`ids[..., step] = tokens`, as a select: fixed shapes, no scatter."""
    at_step = tf.equal(tf.range(tf.shape(ids)[-1]), step)
    return tf.where(at_step, tokens[..., None], ids)


def _same_structure(state, new_state):
    # A step function may return a tuple for a list; the loop needs the same
    # structure back. Dtypes must match already: a silent cast would hide bugs.
    return tf.nest.pack_sequence_as(state, tf.nest.flatten(new_state))


def _batch_free_shapes(loop_vars):
    """Shape invariants with the batch axis left free; a gather loses its static size."""

    def relax(x):
        shape = x.shape
        return shape if shape.rank in (None, 0) else tf.TensorShape([None, *shape[1:]])

    return tf.nest.map_structure(relax, loop_vars)
