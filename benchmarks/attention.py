"""Cost of attention in a recurrent seq2seq decoder, relative to the same decoder without it.

Every model is the same encoder (`keras.layers.LSTM`) and the same LSTM decoder
initialised with the encoder's final state, trained with teacher forcing on
one random batch; the attention models put an `AttentionWrapper` around the
decoder's `LSTMCell` (input feeding, padded source positions masked). Training
steps of all models are interleaved, in a shuffled order each round, so that a
slow spell of the machine slows all of them alike. Each model is compiled with
the Keras default `jit_compile="auto"` (no XLA on a CPU) unless `--jit-compile`
says otherwise. A second table times `decode`, greedy and beam search in a
`tf.function`, with the same models.

    python -m benchmarks.attention                    # 20 timed steps per model
    python -m benchmarks.attention --steps 5          # quicker, noisier
    python -m benchmarks.attention --jit-compile true # XLA, as on an accelerator
"""

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqsuite.shared.layers.attention import (  # noqa: E402
    AttentionDecoder,
    AttentionWrapper,
    BahdanauAttention,
    LuongAttention,
)
from seqsuite.shared.layers.decoding import decode, tile_for_beam  # noqa: E402

BASELINE = "RNN(LSTMCell), no attention"
PAD, START, END = 0, 1, 2


def _luong(units):
    return AttentionWrapper(
        keras.layers.LSTMCell(units), LuongAttention(), attention_layer_size=units
    )


def _bahdanau(units):
    return AttentionWrapper(
        keras.layers.LSTMCell(units), BahdanauAttention(units), attention_layer_size=units
    )


def _bahdanau_cell_output(units):
    return AttentionWrapper(
        keras.layers.LSTMCell(units), BahdanauAttention(units), output_attention=False
    )


# name -> factory of the decoder's wrapper cell, or None for a plain LSTM decoder.
DECODERS = {
    BASELINE: None,
    "keras.layers.LSTM, no attention": "lstm",
    "Luong general, attention layer": _luong,
    "Bahdanau, attention layer": _bahdanau,
    "Bahdanau, cell output, context fed": _bahdanau_cell_output,
}


class Seq2Seq:
    """The layers of one model, for training (`model`) and for `decode`."""

    def __init__(self, make_decoder, args):
        self.embed = keras.layers.Embedding(args.vocab, args.units, mask_zero=True)
        self.encoder = keras.layers.LSTM(args.units, return_sequences=True, return_state=True)
        self.project = keras.layers.Dense(args.vocab)
        if make_decoder is None:
            self.cell = keras.layers.LSTMCell(args.units)
            self.decoder = keras.layers.RNN(self.cell, return_sequences=True)
        elif make_decoder == "lstm":
            self.decoder = keras.layers.LSTM(args.units, return_sequences=True)
            self.cell = None
        else:
            self.cell = make_decoder(args.units)
            self.decoder = AttentionDecoder(self.cell)

        source = keras.Input((args.source,), dtype="int32")
        target = keras.Input((args.target,), dtype="int32")
        memory, h, c = self.encoder(self.embed(source))
        if isinstance(self.decoder, AttentionDecoder):
            outputs = self.decoder(self.embed(target), memory, initial_state=[h, c])
        else:
            outputs = self.decoder(self.embed(target), initial_state=[h, c])
        self.model = keras.Model([source, target], self.project(outputs))
        self.model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=args.jit_compile,
        )

    def _embed_step(self, tokens):
        # A plain lookup: the `Embedding` would attach a padding mask that a
        # single step has no use for (and `LSTMCell` warns about).
        return keras.ops.take(self.embed.embeddings, tokens, axis=0)

    def generate(self, source, method, beam_width, max_length):
        """Encodes `source` and decodes up to `max_length` tokens with `decode`."""
        mask = tf.not_equal(source, PAD)
        memory, h, c = self.encoder(self.embed(source), mask=mask)
        width = beam_width if method == "beam" else 1
        memory, mask = tile_for_beam((memory, mask), width)
        if isinstance(self.cell, AttentionWrapper):
            keys = self.cell.attention.compute_keys(memory)
            state = self.cell.get_initial_state(cell_state=[h, c])

            def step_fn(tokens, state):
                output, state = self.cell(
                    self._embed_step(tokens), state, memory=memory, memory_mask=mask, keys=keys
                )
                return self.project(output), state
        else:
            state = [h, c]

            def step_fn(tokens, state):
                output, state = self.cell(self._embed_step(tokens), state)
                return self.project(output), state

        start = tf.fill(tf.shape(source)[:1], START)
        return decode(step_fn, state, start, END, max_length, method=method, beam_width=width).ids


def make_batch(args):
    rng = np.random.default_rng(0)
    source = rng.integers(3, args.vocab, size=(args.batch, args.source)).astype("int32")
    target = rng.integers(3, args.vocab, size=(args.batch, args.target + 1)).astype("int32")
    # Padded source tails of up to a third of the length, so the masking runs.
    lengths = rng.integers(2 * args.source // 3, args.source + 1, size=args.batch)
    source[np.arange(args.source) >= lengths[:, None]] = PAD
    return source, target[:, :-1], target[:, 1:]


def time_training_steps(models, batch, args):
    """Returns {name: [seconds per step]} over `args.steps` interleaved steps."""
    source, target_in, target_out = batch
    for seq2seq in models.values():
        for _ in range(args.warmup):
            seq2seq.model.train_on_batch([source, target_in], target_out)
    times = {name: [] for name in models}
    rng = np.random.default_rng(1)
    for _ in range(args.steps):
        # A fresh order every round, so no model always follows the same one.
        for name in rng.permutation(list(models)):
            start = time.perf_counter()
            models[name].model.train_on_batch([source, target_in], target_out)
            times[name].append(time.perf_counter() - start)
    return times


def time_decoding(models, batch, args):
    """Returns {(name, method): [seconds per call]} for models with a cell."""
    source = tf.constant(batch[0])
    functions = {}
    for name, seq2seq in models.items():
        if seq2seq.cell is None:
            continue
        for method in ("greedy", "beam"):
            functions[name, method] = tf.function(
                lambda s, m=seq2seq, method=method: m.generate(
                    s, method, args.beam_width, args.target
                )
            )
    for function in functions.values():
        function(source)
    times = {key: [] for key in functions}
    rng = np.random.default_rng(2)
    keys = list(functions)
    for _ in range(max(args.steps // 2, 1)):
        for index in rng.permutation(len(keys)):
            start = time.perf_counter()
            functions[keys[index]](source).numpy()
            times[keys[index]].append(time.perf_counter() - start)
    return times


def training_table(times):
    medians = {name: statistics.median(t) for name, t in times.items()}
    rows = [
        "| Decoder | ms / training step (median) | × no attention |",
        "|---|---:|---:|",
    ]
    for name in DECODERS:
        ratio = medians[name] / medians[BASELINE]
        rows.append(f"| {name} | {1e3 * medians[name]:.1f} | {ratio:.2f}× |")
    return "\n".join(rows)


def decoding_table(times, args):
    medians = {key: statistics.median(t) for key, t in times.items()}
    rows = [
        f"| Decoder | greedy ms (median) | beam {args.beam_width} ms (median) | greedy × | beam × |",
        "|---|---:|---:|---:|---:|",
    ]
    baseline = medians[BASELINE, "greedy"]
    for name in DECODERS:
        if (name, "greedy") not in medians:
            continue
        greedy, beam = medians[name, "greedy"], medians[name, "beam"]
        rows.append(
            f"| {name} | {1e3 * greedy:.1f} | {1e3 * beam:.1f} | "
            f"{greedy / baseline:.2f}× | {beam / baseline:.2f}× |"
        )
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per model first")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--source", type=int, default=30, help="source length")
    parser.add_argument("--target", type=int, default=30, help="target length")
    parser.add_argument("--units", type=int, default=128, help="embedding and LSTM width")
    parser.add_argument("--vocab", type=int, default=50)
    parser.add_argument("--beam-width", type=int, default=4)
    parser.add_argument(
        "--jit-compile",
        choices=("auto", "true", "false"),
        default="auto",
        help="model.compile(jit_compile=...); XLA is what 'auto' picks on an accelerator",
    )
    args = parser.parse_args(argv)
    args.jit_compile = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    if args.steps < 1 or args.warmup < 1:
        parser.error(f"--steps and --warmup must be >= 1. Received: {args.steps}, {args.warmup}")
    # Several models trace their train functions in a row, which TensorFlow
    # reports as excessive retracing; it is not.
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(0)

    models = {name: Seq2Seq(make, args) for name, make in DECODERS.items()}
    batch = make_batch(args)
    training = time_training_steps(models, batch, args)
    decoding = time_decoding(models, batch, args)

    devices = ", ".join(d.device_type for d in tf.config.list_physical_devices())
    print(
        f"Seq2seq training step, batch {args.batch}, source {args.source}, target "
        f"{args.target} steps, {args.units} units, vocab {args.vocab}; median of {args.steps} "
        f"after {args.warmup} warm-up steps, jit_compile={args.jit_compile}. "
        f"Keras {keras.__version__}, backend {keras.backend.backend()}, devices: {devices}, "
        f"{os.cpu_count()} CPU cores, {platform.machine()}."
    )
    print()
    print(training_table(training))
    print()
    print(
        f"`decode` of up to {args.target} tokens (random weights rarely end a whole batch "
        f"early), batch {args.batch}, in a `tf.function`; median of {max(args.steps // 2, 1)} "
        "calls; ratios to greedy decoding without attention."
    )
    print()
    print(decoding_table(decoding, args))
    print()
    command = ["python", "-m", "benchmarks.attention", *(sys.argv[1:] if argv is None else argv)]
    print(f"Command: `{' '.join(command)}`")


if __name__ == "__main__":
    main()
