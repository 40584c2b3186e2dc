"""Speech recogniser: waveform -> log-mel -> convolutions -> bidirectional RNN -> characters (CTC).

    waveform (batch, samples) 16 kHz, samples (batch,)
      -> LogMelSpectrogram       (batch, frames, mels)    per-utterance normalised, 100 frames/s
      -> SpecAugment             training only
      -> 2 x Conv2D 3x3, ReLU    (batch, frames / time_stride, mels / 4 * filters)
      -> LayerNormalization
      -> LengthMask              Keras mask of the valid output frames
      -> bidirectional recurrent stack (any cell of the library, zoneout optional)
      -> Dense(characters + blank) -> BlankPadding     logits, blank forced at padding

trained with `shared.layers.ctc.CTCLoss` on character ids (-1 padded). The front end
is inside the model, so the `.keras` file takes raw 16 kHz waveforms; the
SavedModel also decodes WAV files and searches beams (`serving`).

The convolutions pad one frame on each side of the time axis and none on the
mel axis, so an output frame always covers the same input frames whatever
the padded length of the batch (`same` padding would shift with its parity).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from seqsuite.shared.layers.audio import (
    SAMPLE_RATE,
    USABLE,
    AppendSilence,
    LogMelSpectrogram,
    SpecAugment,
    decode_wavs,
    is_silent,
    status_text,
)
from seqsuite.shared.layers.ctc import (
    BlankPadding,
    CharVocabulary,
    CTCLoss,
    ctc_beam_candidates,
    ctc_decode,
)
from seqsuite.shared.layers.encoders import sequence_encoder
from seqsuite.shared.layers.lexicon import Lexicon, closed_vocabulary, correct, rescore
from seqsuite.shared.layers.masking import LengthMask
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.speech.config import CHARACTERS, Config

VOCABULARY = CharVocabulary(CHARACTERS)
FRAME_STEP = 160  # 10 ms at 16 kHz


def conv_strides(time_stride: int) -> list[int]:
    """Time strides of the two convolutions for a total `time_stride`."""
    return {1: [1, 1], 2: [2, 1], 3: [3, 1], 4: [2, 2]}[time_stride]


def build_model(config: Config) -> keras.Model:
    """Compiled CTC recogniser: {"waveform", "samples"} -> logits (batch, steps, classes)."""
    waveform = keras.Input((None,), name="waveform")  # (batch, samples), 16 kHz
    samples = keras.Input((), dtype="int32", name="samples")  # (batch,)
    audio, heard = waveform, samples
    if tail_samples(config):  # room after the last word for a causal model to emit it
        audio, heard = AppendSilence(tail_samples(config), name="tail")([waveform, samples])
    x = LogMelSpectrogram(config.num_mel_bins, SAMPLE_RATE, frame_step=FRAME_STEP,
                          causal=config.streaming,
                          prior_frames=config.normalisation_prior,
                          name="logmel")([audio, heard])  # (batch, frames, mels)
    x = SpecAugment(config.freq_masks, 8, config.time_masks, 15, seed=config.seed,
                    name="specaugment")(x)
    x = keras.layers.Reshape((-1, config.num_mel_bins, 1), name="add_channel")(x)
    strides = conv_strides(config.time_stride)
    for i, stride in enumerate(strides):
        # streaming: both frames of context in the past, so no output waits for audio
        time_pad = (2, 0) if config.streaming else (1, 1)
        x = keras.layers.ZeroPadding2D((time_pad, (0, 0)), name=f"pad_{i}")(x)
        x = keras.layers.Conv2D(config.conv_filters, 3, strides=(stride, 2), activation="relu",
                                name=f"conv_{i}")(x)
    bands = x.shape[2]
    x = keras.layers.Reshape((-1, bands * config.conv_filters), name="flatten_bands")(x)
    x = keras.layers.LayerNormalization(name="conv_norm")(x)  # steadies the RNN's early steps
    x = LengthMask((FRAME_STEP, *strides), name="frame_mask")([x, heard])
    x = sequence_encoder(x, config, seed=config.seed, return_sequences=True)
    logits = keras.layers.Dense(VOCABULARY.classes, name="ctc_head")(x)
    logits = BlankPadding(name="blank_padding")(logits)
    model = keras.Model({"waveform": waveform, "samples": samples}, logits,
                        name=f"speech_ctc_{config.cell}")
    return compile_model(model, config, loss=CTCLoss())


def methods(config: Config) -> tuple[str, ...]:
    """The decodings a run offers: greedy, beam, and "lm" (the beam's candidates rescored
    with the lexicon) once the run has one."""
    return ("greedy", "beam", "lm") if config.words else ("greedy", "beam")


def lexicon(config: Config) -> Lexicon:
    """The run's lexicon (`Config.words`, chosen when the run was trained)."""
    return Lexicon(config.words, config.word_log_probs)


def decode(logits, config: Config, method: str, vocabulary=None):
    """Transcripts (tf.string (batch,)) of CTC logits; a graph-safe function.

    `method`: "greedy", "beam", or "lm" (`methods`: the beam's candidates rescored with
    the run's lexicon, then its unknown words corrected). `vocabulary` (tf.string (V,)),
    if given, closes the vocabulary (`shared.layers.lexicon.closed_vocabulary`).
    """
    if method not in ("greedy", "beam", "lm"):
        raise ValueError(f"method must be greedy, beam or lm. Received: {method!r}")
    if method == "greedy" and vocabulary is not None:
        raise ValueError("a closed vocabulary chooses among the beam's candidates; use "
                         "method='beam' or 'lm'")
    if method == "lm" and vocabulary is None and not config.words:
        raise ValueError("this run has no lexicon (trained with lexicon_words=0); use "
                         "method='beam'")
    if method == "beam" and vocabulary is None:
        ids, _ = ctc_decode(logits, method="beam", beam_width=config.beam_width)
    elif method == "greedy":
        ids, _ = ctc_decode(logits, method="greedy")
    else:
        ids, scores = ctc_beam_candidates(logits, beam_width=config.beam_width)
        texts = VOCABULARY.to_text(ids)  # (batch, beam_width)
        if vocabulary is not None:
            return closed_vocabulary(texts, scores, vocabulary)
        tensors = lexicon(config).tensors()
        best = rescore(texts, scores, *tensors, config.lm_weight, config.word_bonus)
        if not config.correct_within:
            return best
        return correct(best, *tensors, config.correct_within, config.correct_prior or 0.0)
    return VOCABULARY.to_text(ids)


def transcribe(model, config: Config, waveforms, samples, method: str = "greedy",
               vocabulary=None):
    """Transcripts (tf.string (batch,)) of padded 16 kHz waveforms; a graph-safe function."""
    logits = model({"waveform": waveforms, "samples": samples}, training=False)
    return decode(logits, config, method, vocabulary)


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving functions: WAV file contents -> transcripts, and float waveforms -> transcripts.

    `serving_default` (`serve`) takes `wav`, a string vector of WAV file contents
    (any sample rate, any channels, PCM 8/16/24/32-bit or float), and returns
    `transcript` (prefix beam search, rescored with the run's lexicon when it has
    one) and `status`, one message per file ("ok", or what was wrong: an unusable
    file gets transcript ""). The `waveform` signature takes `waveform` float32
    (batch, samples) at 16 kHz and `samples` int32 (batch,). The `vocabulary`
    signature takes `wav` and `vocabulary`, a string vector of the only words a
    transcript may hold (a command set), and returns `transcript` and `status`.
    """
    method = methods(config)[-1]

    def served(waveforms, samples, vocabulary=None):
        texts = transcribe(model, config, waveforms, samples, method, vocabulary)
        silent = tf.map_fn(lambda row: is_silent(row[0][: row[1]]), (waveforms, samples),
                           fn_output_signature=tf.bool)
        return tf.where(silent, tf.constant(""), texts)

    def from_wav(wav, vocabulary=None):
        waveforms, samples, status = decode_wavs(wav, SAMPLE_RATE, config.max_seconds)
        # At least one frame for every row, so an empty batch member never empties the batch.
        waveforms = tf.pad(waveforms, [[0, 0], [0, 1]])
        texts = served(waveforms, tf.maximum(samples, 1), vocabulary)
        usable = tf.reduce_any(tf.equal(status[:, None], list(USABLE)), axis=1)
        return {"transcript": tf.where(usable, texts, tf.constant("")),
                "status": status_text(status)}

    def from_waveform(waveform, samples):
        waveform = waveform[:, : int(round(config.max_seconds * SAMPLE_RATE))]
        samples = tf.clip_by_value(samples, 1, tf.shape(waveform)[1])
        return {"transcript": served(tf.pad(waveform, [[0, 0], [0, 1]]), samples)}

    wav_spec = [tf.TensorSpec([None], tf.string, name="wav")]
    waveform_spec = [tf.TensorSpec([None, None], tf.float32, name="waveform"),
                     tf.TensorSpec([None], tf.int32, name="samples")]
    vocabulary_spec = [*wav_spec, tf.TensorSpec([None], tf.string, name="vocabulary")]
    endpoints = {"waveform": (from_waveform, waveform_spec),
                 "vocabulary": (from_wav, vocabulary_spec)}
    lite = {}
    if config.streaming:
        streamed, lite = streaming_endpoints(model, config)
        endpoints.update(streamed)
    return Serving(from_wav, wav_spec, endpoints=endpoints, lite=lite)


def tail_samples(config: Config) -> int:
    """Silence the model appends to each recording (`tail_ms`, streaming only), in whole
    output steps, so that a stream flushed with this many zeros ends where the whole
    recording's logits end."""
    if not config.streaming or not config.tail_ms:
        return 0
    step = chunk_samples(config)
    return -(-config.tail_ms * SAMPLE_RATE // 1000 // step) * step


# A TensorFlow Lite stream takes chunks of this many output steps (120 ms at time_stride 3).
LITE_CHUNK_STEPS = 4


def chunk_samples(config: Config) -> int:
    """A streamed chunk holds a multiple of this many samples: one output step (30 ms at
    the default time_stride=3)."""
    return FRAME_STEP * config.time_stride


def recurrent_part(model: keras.Model) -> keras.Model:
    """The trained layers after the convolutions (normalisation, recurrent stack, output
    layer) as a model from conv features (batch, steps, width) to logits, without the
    length mask and blank padding a whole padded batch needs: what `Streaming` runs."""
    # The chain conv_norm -> encoder_* (recurrent layers, dropout between) -> ctc_head, in
    # graph order; the graph's other operations compute the length mask.
    chain = [op for op in model.operations if isinstance(op, keras.layers.Layer) and (
        op.name in ("conv_norm", "ctc_head") or op.name.startswith("encoder_"))]
    features = keras.Input((None, model.get_layer("conv_norm").input.shape[-1]))
    x = features
    for layer in chain:
        x = layer(x)
    return keras.Model(features, x, name="recurrent_part")


def streaming_endpoints(model: keras.Model, config: Config) -> tuple[dict, dict]:
    """(endpoints, TensorFlow Lite endpoints) of a `streaming=true` run: `initial_state(
    batch_size)` and `stream(chunk, state_...)`, and the `stream` TensorFlow Lite converts.

    `chunk` float32 (batch, k * chunk_samples) of 16 kHz audio in; `text` (batch,) the
    characters greedy CTC decoding adds with it (repeats merged across chunks, blanks
    dropped), `logits` (batch, k, classes), and the next state: the log-mel front end's
    (its last 240 samples and running sums), each convolution's last two input frames,
    the recurrent layers' states and the last step's class. Fed a recording chunk by
    chunk, the texts join into the whole recording's greedy transcript. The TensorFlow
    Lite `stream` takes chunks of exactly LITE_CHUNK_STEPS * chunk_samples samples and
    returns `ids` (batch, LITE_CHUNK_STEPS) in place of `text`: the class of the character
    each step adds, 0 where it adds none (`VOCABULARY` maps classes to characters)."""
    from seqsuite.shared.layers.streaming import Streaming

    logmel = model.get_layer("logmel")
    convs = [model.get_layer(f"conv_{i}") for i in range(len(conv_strides(config.time_stride)))]
    rnn = Streaming(recurrent_part(model))
    rnn_names = {n: "state_" + n.replace("/", "_") for n in rnn.state_names()}
    shapes = [tuple(conv.input.shape[2:]) for conv in convs]  # (mel bands, channels) in
    step = chunk_samples(config)

    def initial_state(batch_size):
        state = {f"state_logmel_{k}": v for k, v in logmel.initial_state(batch_size).items()}
        for i, (bands, channels) in enumerate(shapes):
            state[f"state_conv_{i}"] = tf.zeros([batch_size, 2 * bands * channels])
        state.update({rnn_names[n]: v for n, v in rnn.initial_state(batch_size).items()})
        state["state_last"] = tf.zeros([batch_size], tf.int32)  # the blank
        return state

    def step_ids(chunk, state):
        """(characters added per output step: class ids, 0 where none; logits; next state)."""
        tf.debugging.assert_equal(
            tf.shape(chunk)[1] % step, 0,
            message=f"a chunk must hold a multiple of {step} samples ({step // 16} ms)")
        features, front = logmel.stream(chunk, {k: state[f"state_logmel_{k}"]
                                                for k in ("samples", "count", "sum", "squares")})
        # expand_dims, not [..., None]: TensorFlow Lite's StridedSlice adds no axis
        x, after = tf.expand_dims(features, -1), {f"state_logmel_{k}": v
                                                 for k, v in front.items()}
        for i, (conv, (bands, channels)) in enumerate(zip(convs, shapes)):
            past = tf.reshape(state[f"state_conv_{i}"], [-1, 2, bands, channels])
            seen = tf.concat([past, x], axis=1)
            after[f"state_conv_{i}"] = tf.reshape(seen[:, -2:], [-1, 2 * bands * channels])
            x = conv(seen)  # valid in time: the two past frames are its padding
        x = tf.reshape(x, [tf.shape(x)[0], tf.shape(x)[1], x.shape[2] * x.shape[3]])
        logits, recurrent = rnn(x, {n: state[rnn_names[n]] for n in rnn_names})
        after.update({rnn_names[n]: v for n, v in recurrent.items()})
        ids = tf.argmax(logits, axis=-1, output_type=tf.int32)
        last = tf.expand_dims(state["state_last"], 1)
        before = tf.concat([last, ids[:, :-1]], axis=1)
        kept = tf.where(tf.not_equal(ids, before), ids, 0)  # a repeat merges into its run
        after["state_last"] = tf.concat([last, ids], axis=1)[:, -1]
        return kept, logits, after

    def stream(chunk, *states):
        kept, logits, after = step_ids(chunk, dict(zip(state_names, states)))
        return {"text": VOCABULARY.to_text(kept), "logits": logits, **after}

    def stream_ids(chunk, *states):
        kept, logits, after = step_ids(chunk, dict(zip(state_names, states)))
        return {"ids": kept, "logits": logits, **after}

    example = initial_state(1)
    state_names = list(example)
    state_specs = [tf.TensorSpec([None, *v.shape[1:]], v.dtype, name=k)
                   for k, v in example.items()]
    endpoints = {
        "initial_state": (initial_state, [tf.TensorSpec([], tf.int32, name="batch_size")]),
        "stream": (stream, [tf.TensorSpec([None, None], tf.float32, name="chunk"), *state_specs])}
    # TensorFlow Lite: ids instead of text (it has no string operators) and chunks of a fixed
    # LITE_CHUNK_STEPS output steps, so that the recurrent loop unrolls
    lite = {"stream": (stream_ids, [
        tf.TensorSpec([None, LITE_CHUNK_STEPS * step], tf.float32, name="chunk"), *state_specs])}
    return endpoints, lite


def logits_numpy(model, waveforms: list[np.ndarray], batch_size: int = 32) -> list[np.ndarray]:
    """Per-utterance logits (steps, classes) of float 16 kHz waveforms, valid steps only."""
    mask_layer = model.get_layer("frame_mask")
    # the steps of the silence a streaming model appends (tail_ms) are valid too
    tail = next((layer.samples for layer in model.layers if isinstance(layer, AppendSilence)), 0)
    out = []
    for start in range(0, len(waveforms), batch_size):
        chunk = waveforms[start: start + batch_size]
        lengths = np.array([max(len(w), 1) for w in chunk], "int32")
        batch = np.zeros((len(chunk), lengths.max()), "float32")
        for i, w in enumerate(chunk):
            batch[i, : len(w)] = w
        logits = model({"waveform": batch, "samples": lengths}, training=False).numpy()
        steps = np.asarray(mask_layer.steps(lengths + tail))
        out.extend(logits[i, : steps[i]] for i in range(len(chunk)))
    return out
