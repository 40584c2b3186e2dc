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

Writes benchmarks/results/attention.json: medians with their range over the timed steps
(calls), and ratios of medians to the decoder without attention.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import record  # noqa: E402
from seqsuite.shared.layers.attention import (  # noqa: E402
    AttentionDecoder,
    AttentionWrapper,
    BahdanauAttention,
    LuongAttention,
)
from seqsuite.shared.layers.decoding import decode, tile_for_beam  # noqa: E402

SUITE = "layers"
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


def _ms(times):
    return {key: record.scaled(record.median_spread(t), 1e3) for key, t in times.items()}


def training_table(times) -> dict:
    steps = _ms(times)
    rows = [{"decoder": name, "step_ms": steps[name],
             "ratio": record.ratio(steps[name], steps[BASELINE])} for name in DECODERS]
    return record.table(
        "Training step",
        [record.column("decoder", "Decoder"), record.column("step_ms", "ms / training step", ".1f"),
         record.column("ratio", "× no attention (medians)", ".2f", "×")], rows)


def decoding_table(times, args) -> dict:
    calls = _ms(times)
    baseline = calls[BASELINE, "greedy"]
    rows = []
    for name in DECODERS:
        if (name, "greedy") not in calls:
            continue
        greedy, beam = calls[name, "greedy"], calls[name, "beam"]
        rows.append({"decoder": name, "greedy_ms": greedy, "beam_ms": beam,
                     "greedy_ratio": record.ratio(greedy, baseline),
                     "beam_ratio": record.ratio(beam, baseline)})
    return record.table(
        f"`decode` of up to {args.target} tokens, in a `tf.function`",
        [record.column("decoder", "Decoder"), record.column("greedy_ms", "greedy ms", ".1f"),
         record.column("beam_ms", f"beam {args.beam_width} ms", ".1f"),
         record.column("greedy_ratio", "greedy ×", ".2f", "×"),
         record.column("beam_ratio", "beam ×", ".2f", "×")], rows,
        notes=["Random weights rarely end a whole batch early; ratios of medians to greedy "
               "decoding without attention."])


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

    prov = record.provenance(
        record.command_line("attention", argv), seeds=[0], batch=args.batch,
        source=args.source, target=args.target, units=args.units, vocab=args.vocab,
        beam_width=args.beam_width, steps=args.steps, warmup=args.warmup,
        decode_calls=max(args.steps // 2, 1), jit_compile=args.jit_compile,
        backend=keras.backend.backend(),
        devices=", ".join(d.device_type for d in tf.config.list_physical_devices()))
    models = {name: Seq2Seq(make, args) for name, make in DECODERS.items()}
    batch = make_batch(args)
    training = training_table(time_training_steps(models, batch, args))
    decoding = decoding_table(time_decoding(models, batch, args), args)
    record.write_result(
        "attention", suite=SUITE, title=__doc__, provenance=prov,
        tables=[training, decoding],
        section_title=(f"Seq2seq, batch {args.batch}, source {args.source}, target "
                       f"{args.target}, {args.units} units, vocab {args.vocab}, "
                       f"jit_compile={args.jit_compile}"),
        headline=[record.headline(f"{row['decoder']} training step", row["ratio"], ".2f", "×")
                  for row in training["rows"] if row["decoder"].startswith(("Luong", "Bahdanau,"
                                                                            " attention"))])
    return 0


if __name__ == "__main__":
    sys.exit(main())
