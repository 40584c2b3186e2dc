"""Audio front end: WAV bytes -> 16 kHz waveform -> normalised log-mel features, in the graph.

Everything here is TensorFlow ops, so a SavedModel that takes WAV file contents
needs nothing else to serve, and the training pipeline and the served model
compute the same features.

- `decode_wavs(contents, rate=16000, max_seconds=None)`: a batch of WAV file
  contents (tf.string) -> padded mono waveforms at `rate`, their lengths, and
  a status code per file. The RIFF chunks are parsed with string ops instead
  of `tf.audio.decode_wav`, whose failure on one bad file would stop the whole
  batch: each file gets its own `STATUS`, and a bad one yields an empty
  waveform while the others decode. Accepted encodings: PCM 8, 16, 24, 32 bit
  and IEEE float 32 bit (also inside WAVE_FORMAT_EXTENSIBLE), any number of
  channels (averaged to mono), any sample rate (resampled).
- `resample(waveform, rate, target)`: band-limited resampling by the FFT
  (like `scipy.signal.resample`): the spectrum up to the lower Nyquist
  frequency is kept and the signal re-synthesised at the new length.
- `LogMelSpectrogram`: waveform (batch, samples) + lengths -> log-mel
  features (batch, frames, mels), normalised per utterance and mel band over
  the utterance's own frames (so gain and channel colouring, which are
  additive in the log domain, drop out); padded frames are 0.
- `SpecAugment`: time and frequency masking (Park et al. 2019), seeded, only
  in training.

Frames: `frame_length` samples (25 ms at 16 kHz), one every `frame_step`
(10 ms), the last ones zero-padded past the end, so an utterance of `n`
samples has `ceil(n / frame_step)` frames (`frame_count`).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

SAMPLE_RATE = 16000
# Status codes of `decode_wavs`, one per file, and what each means.
OK, NOT_WAV, TRUNCATED, UNSUPPORTED, NO_AUDIO, SILENT, TOO_LONG = range(7)
STATUS = (
    "ok",
    "not a WAV file (no RIFF/WAVE header)",
    "truncated WAV file: the audio present was used",
    "unsupported WAV encoding: save it as 16-bit PCM",
    "no audio data in the WAV file (empty, or cut inside its header)",
    "silence",
    "longer than the limit: the first part was used",
)
USABLE = (OK, TRUNCATED, TOO_LONG)  # statuses whose waveform is transcribed
# Below this RMS (-60 dBFS) a clip counts as silence.
SILENCE_RMS = 1e-3
_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


def frame_count(samples, frame_step: int = 160):
    """Frames of `samples`-long waveforms: ceil(samples / frame_step), int32."""
    samples = ops.cast(samples, "int32")
    return (samples + frame_step - 1) // frame_step


def resample(waveform, rate, target: int = SAMPLE_RATE):
    """A mono waveform (samples,) at `rate` Hz resampled to `target` Hz (FFT method).

    The output has round(samples * target / rate) samples. Rates equal to
    `target` pass unchanged.
    """
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    rate = tf.cast(rate, tf.float64)
    n = tf.shape(waveform)[0]
    n_out = tf.cast(tf.round(tf.cast(n, tf.float64) * target / rate), tf.int32)

    def by_fft():
        spectrum = tf.signal.rfft(waveform, [n])  # (n // 2 + 1,)
        keep = tf.minimum(n // 2 + 1, n_out // 2 + 1)
        spectrum = tf.pad(spectrum[:keep], [[0, n_out // 2 + 1 - keep]])
        out = tf.signal.irfft(spectrum, [n_out])
        return out * tf.cast(n_out, tf.float32) / tf.cast(n, tf.float32)

    unchanged = tf.logical_or(tf.equal(n_out, n), tf.equal(n, 0))
    return tf.cond(unchanged, lambda: waveform, lambda: tf.cond(
        n_out > 0, by_fft, lambda: tf.zeros([0], tf.float32)))


def _unsigned(contents, offset, size):
    """Little-endian unsigned integer of `size` bytes at `offset`, int64 (missing bytes read 0)."""
    offset = tf.minimum(tf.cast(offset, tf.int32), tf.strings.length(contents))
    raw = tf.io.decode_raw(tf.strings.substr(contents, offset, size), tf.uint8)
    raw = tf.pad(tf.cast(raw, tf.int64), [[0, size]])[:size]
    return tf.reduce_sum(raw * tf.constant([1, 256, 65536, 16777216][:size], tf.int64))


def _samples(data, encoding):
    """PCM bytes -> float32 samples in [-1, 1]; `encoding` 0..4 = int8u, int16, int24, int32, float32."""

    def int24():
        raw = tf.reshape(tf.cast(tf.io.decode_raw(data, tf.uint8), tf.int32), [-1, 3])
        value = raw[:, 0] + raw[:, 1] * 256 + raw[:, 2] * 65536
        value = tf.where(value >= 2**23, value - 2**24, value)
        return tf.cast(value, tf.float32) / 2.0**23

    return tf.switch_case(encoding, [
        lambda: (tf.cast(tf.io.decode_raw(data, tf.uint8), tf.float32) - 128.0) / 128.0,
        lambda: tf.cast(tf.io.decode_raw(data, tf.int16), tf.float32) / 32768.0,
        int24,
        lambda: tf.cast(tf.io.decode_raw(data, tf.int32), tf.float32) / 2.0**31,
        lambda: tf.io.decode_raw(data, tf.float32),
    ])


def _parse_wav(contents):
    """One file's contents -> (samples (n, channels) flattened, channels, rate, status)."""
    n = tf.strings.length(contents)
    head = tf.strings.substr(contents, 0, 12) + b"\0" * 12  # reads past a short file's end give 0s
    header_ok = tf.logical_and(n >= 12, tf.logical_and(
        tf.equal(tf.strings.substr(head, 0, 4), "RIFF"),
        tf.equal(tf.strings.substr(head, 8, 4), "WAVE")))

    # Walk the chunks: (offset, fmt offset, fmt size, data offset, data size); -1 = not found.
    def more(offset, fmt, fmt_size, data, data_size):
        return tf.logical_and(offset + 8 <= tf.cast(n, tf.int64),
                              tf.logical_or(fmt < 0, data < 0))

    def step(offset, fmt, fmt_size, data, data_size):
        chunk = tf.strings.substr(contents, tf.cast(offset, tf.int32), 4)
        size = _unsigned(contents, tf.cast(offset + 4, tf.int32), 4)
        is_fmt = tf.logical_and(tf.equal(chunk, "fmt "), fmt < 0)
        is_data = tf.logical_and(tf.equal(chunk, "data"), data < 0)
        return (offset + 8 + size + size % 2,  # chunks are padded to an even size
                tf.where(is_fmt, offset + 8, fmt), tf.where(is_fmt, size, fmt_size),
                tf.where(is_data, offset + 8, data), tf.where(is_data, size, data_size))

    minus = tf.constant(-1, tf.int64)
    start = (tf.constant(12, tf.int64), minus, minus, minus, minus)
    _, fmt, fmt_size, data, data_size = tf.cond(
        header_ok, lambda: tf.while_loop(more, step, start), lambda: start)

    fmt32 = tf.cast(tf.maximum(fmt, 0), tf.int32)
    tag = _unsigned(contents, fmt32, 2)
    tag = tf.where(tf.logical_and(tf.equal(tag, _EXTENSIBLE), fmt_size >= 26),
                   _unsigned(contents, fmt32 + 24, 2), tag)  # the sub-format's first field
    channels = _unsigned(contents, fmt32 + 2, 2)
    rate = _unsigned(contents, fmt32 + 4, 4)
    bits = _unsigned(contents, fmt32 + 14, 2)
    encoding = tf.where(tf.equal(tag, _FLOAT), tf.where(tf.equal(bits, 32), 4, -1),
                        tf.where(tf.equal(tag, _PCM), tf.cast(bits, tf.int32) // 8 - 1, -1))
    encoding = tf.cast(tf.where(tf.logical_and(tf.equal(tag, _PCM), bits % 8 != 0), -1, encoding),
                       tf.int32)
    encoding = tf.where(encoding > 4, -1, encoding)
    fmt_ok = tf.logical_and(fmt >= 0, fmt_size >= 16)
    fmt_ok = tf.logical_and(fmt_ok, fmt + 16 <= tf.cast(n, tf.int64))
    usable_fmt = tf.logical_and(tf.logical_and(encoding >= 0, channels > 0),
                                tf.logical_and(rate >= 1000, rate <= 768000))

    available = tf.maximum(tf.cast(n, tf.int64) - data, 0)
    frame_bytes = tf.maximum(channels * tf.maximum(bits // 8, 1), 1)
    present = tf.minimum(data_size, available)
    present = present - present % frame_bytes
    status = tf.case([
        (tf.logical_not(header_ok), lambda: NOT_WAV),
        (tf.logical_not(tf.logical_and(fmt_ok, data >= 0)), lambda: NO_AUDIO),
        (tf.logical_not(usable_fmt), lambda: UNSUPPORTED),
        (present <= 0, lambda: NO_AUDIO),
        (data_size > available, lambda: TRUNCATED),
    ], default=lambda: OK)
    status = tf.cast(status, tf.int32)

    def decode():
        chunk = tf.strings.substr(contents, tf.cast(data, tf.int32), tf.cast(present, tf.int32))
        return _samples(chunk, encoding)

    usable = tf.logical_or(tf.equal(status, OK), tf.equal(status, TRUNCATED))
    samples = tf.cond(usable, decode, lambda: tf.zeros([0], tf.float32))
    return samples, tf.cast(tf.maximum(channels, 1), tf.int32), tf.cast(rate, tf.int32), status


def decode_wav(contents, rate: int = SAMPLE_RATE, max_seconds: float | None = None):
    """One WAV file's contents (tf.string scalar) -> (mono waveform at `rate`, status).

    Channels are averaged; another sample rate is resampled to `rate`; a clip
    longer than `max_seconds` is cut to its first `max_seconds` (status
    `TOO_LONG`); a clip whose RMS is below -60 dBFS is `SILENT` (waveform kept).
    A file that cannot be used (status not in `USABLE` nor `SILENT`) gives an
    empty waveform.
    """
    samples, channels, source_rate, status = _parse_wav(contents)
    mono = tf.reduce_mean(tf.reshape(samples, [-1, channels]), axis=1)
    mono = tf.cond(tf.shape(mono)[0] > 0, lambda: resample(mono, source_rate, rate),
                   lambda: mono)
    if max_seconds is not None:
        limit = int(round(max_seconds * rate))
        status = tf.where(tf.logical_and(tf.shape(mono)[0] > limit, tf.equal(status, OK)),
                          TOO_LONG, status)
        mono = mono[:limit]
    silent = tf.logical_and(tf.reduce_any(tf.equal(status, USABLE)), is_silent(mono))
    return mono, tf.where(silent, SILENT, status)


def is_silent(waveform, threshold: float = SILENCE_RMS):
    """Whether a mono waveform (samples,) has an RMS below `threshold` (or no samples)."""
    waveform = tf.convert_to_tensor(waveform, tf.float32)
    rms = tf.sqrt(tf.reduce_mean(tf.square(waveform)))
    return tf.logical_or(tf.equal(tf.size(waveform), 0), tf.logical_not(rms >= threshold))


def decode_wavs(contents, rate: int = SAMPLE_RATE, max_seconds: float | None = None):
    """A batch of WAV file contents (batch,) -> (waveforms (batch, longest) float32 padded
    with 0, lengths (batch,) int32, status (batch,) int32 codes of `STATUS`).

    Files are decoded one by one inside the graph (`decode_wav`), so a bad file
    leaves the others untouched.
    """
    contents = tf.reshape(tf.convert_to_tensor(contents, tf.string), [-1])
    waveforms, status = tf.map_fn(
        lambda c: decode_wav(c, rate, max_seconds), contents,
        fn_output_signature=(tf.RaggedTensorSpec([None], tf.float32, ragged_rank=0),
                             tf.TensorSpec([], tf.int32)))
    lengths = tf.cast(waveforms.row_lengths(), tf.int32)
    return waveforms.to_tensor(0.0), lengths, status


def status_text(status) -> tf.Tensor:
    """Graph: status codes -> their `STATUS` messages (tf.string)."""
    return tf.gather(tf.constant(STATUS), status)


def encode_wav(waveform: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """A mono float waveform in [-1, 1] -> 16-bit PCM WAV file contents."""
    audio = np.clip(np.asarray(waveform, "float32"), -1.0, 1.0)[:, None]
    return tf.audio.encode_wav(audio, rate).numpy()


@keras.saving.register_keras_serializable(package="seqsuite")
class LogMelSpectrogram(keras.layers.Layer):
    """Waveform -> log-mel features, normalised per utterance over its own frames.

    ```
    S_t   = |STFT(w)_t|^2                               Hann window, frame_length, frame_step
    M_t   = log(mel_matrix^T S_t + 1e-6)                num_mel_bins bands, 20 Hz .. rate / 2
    F_t,m = (M_t,m - mean_m) / (std_m + 1e-3)           mean, std over the utterance's frames
    ```

    Padded frames (t >= ceil(length / frame_step)) are 0.

    `causal=True` is the form that streams: frame t ends at sample (t + 1) * frame_step
    (the waveform is preceded by frame_length - frame_step zeros, where the default frames
    start at t * frame_step and reach into the future), and each frame is normalised by the
    mean and std of the frames up to and including it (running sums), so no feature depends
    on a sample after its frame. Then `initial_state(batch)` and `stream(chunk, state)`
    compute the same features a chunk at a time (chunks of any multiple of frame_step
    samples: 1,600 = 100 ms).

    `prior_frames = p > 0` (causal only) starts the running statistics from p frames of
    a prior, the per-band mean mu0 and variance var0 of training frames (`adapt`), so the
    first frames of an utterance are not normalised by their own few values:

    ```
    mean_t = (p mu0 + sum_{s<=t} M_s) / (p + t + 1)
    var_t  = (p (var0 + mu0^2) + sum_{s<=t} M_s^2) / (p + t + 1) - mean_t^2
    ```

    Args:
        num_mel_bins: mel bands (default 40).
        sample_rate: of the waveform (default 16000).
        frame_length: samples per frame (default 400: 25 ms at 16 kHz).
        frame_step: samples between frames (default 160: 10 ms).
        fft_length: FFT size (default 512).
        causal: frames and normalisation that use no later sample (default False).
        prior_frames: weight, in frames, of the training statistics the running
            normalisation starts from (`causal=True` only; default 0: none).

    Call arguments:
        inputs: `[waveform, lengths]`: float32 (batch, samples) padded with
            anything, and int (batch,) valid samples per row.

    Returns:
        float32 (batch, frames, num_mel_bins).
    """

    def __init__(self, num_mel_bins: int = 40, sample_rate: int = SAMPLE_RATE,
                 frame_length: int = 400, frame_step: int = 160, fft_length: int = 512,
                 causal: bool = False, prior_frames: int = 0, **kwargs):
        super().__init__(**kwargs)
        if int(prior_frames) < 0 or (prior_frames and not causal):
            raise ValueError("LogMelSpectrogram prior_frames must be >= 0, and is for "
                             f"causal=True only. Received: prior_frames={prior_frames}, "
                             f"causal={causal}")
        for name, value in (("num_mel_bins", num_mel_bins), ("sample_rate", sample_rate),
                            ("frame_length", frame_length), ("frame_step", frame_step)):
            if int(value) < 1:
                raise ValueError(f"LogMelSpectrogram {name} must be >= 1. Received: "
                                 f"{name}={value}")
        if fft_length < frame_length:
            raise ValueError(f"fft_length must be >= frame_length. Received: "
                             f"fft_length={fft_length}, frame_length={frame_length}")
        self.num_mel_bins = int(num_mel_bins)
        self.sample_rate = int(sample_rate)
        self.frame_length = int(frame_length)
        self.frame_step = int(frame_step)
        self.fft_length = int(fft_length)
        self.causal = bool(causal)
        self.prior_frames = int(prior_frames)
        self.mel_matrix = tf.signal.linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, self.sample_rate, 20.0,
            self.sample_rate / 2)
        if self.prior_frames:
            self.prior_mean = self.add_weight(shape=(self.num_mel_bins,), name="prior_mean",
                                              initializer="zeros", trainable=False)
            self.prior_variance = self.add_weight(
                shape=(self.num_mel_bins,), name="prior_variance", initializer="ones",
                trainable=False)

    def _prior(self):
        """(count, sum, sum of squares) per band that the running statistics start from."""
        if not self.prior_frames:
            zeros = tf.zeros([self.num_mel_bins])
            return 0.0, zeros, zeros
        p = float(self.prior_frames)
        mean = tf.convert_to_tensor(self.prior_mean)
        return p, p * mean, p * (tf.convert_to_tensor(self.prior_variance) + tf.square(mean))

    def adapt(self, waveforms) -> None:
        """Set the prior (`prior_frames > 0`) to the per-band mean and variance of the
        log-mel frames of `waveforms`, a list of float 1-D arrays (training utterances)."""
        if not self.prior_frames:
            raise ValueError("LogMelSpectrogram.adapt sets the normalisation prior; "
                             "construct the layer with prior_frames > 0")
        total = np.zeros(self.num_mel_bins)
        squares = np.zeros(self.num_mel_bins)
        count = 0
        lead = np.zeros(self.frame_length - self.frame_step, "float32")
        for w in waveforms:
            w = np.asarray(w, "float32")
            if len(w) < self.frame_step:
                continue
            x = np.concatenate([lead, w[: len(w) // self.frame_step * self.frame_step]])
            frames = self._logmel(tf.constant(x[None]), pad_end=False).numpy()[0]
            total += frames.sum(0)
            squares += np.square(frames.astype("float64")).sum(0)
            count += len(frames)
        if not count:
            raise ValueError("LogMelSpectrogram.adapt needs at least one waveform of "
                             f"{self.frame_step} samples or more")
        mean = total / count
        self.prior_mean.assign(mean.astype("float32"))
        self.prior_variance.assign(np.maximum(squares / count - mean ** 2, 0).astype("float32"))

    def frames(self, lengths):
        """Valid frames for waveforms of `lengths` samples."""
        return frame_count(lengths, self.frame_step)

    def _logmel(self, waveform, pad_end: bool):
        stft = tf.signal.stft(waveform, self.frame_length, self.frame_step, self.fft_length,
                              pad_end=pad_end)  # (batch, frames, bins)
        # |X|² as re² + im²: the same numbers as X X*, in operators TensorFlow Lite has
        power = tf.square(tf.math.real(stft)) + tf.square(tf.math.imag(stft))
        return tf.math.log(tf.tensordot(power, self.mel_matrix, 1) + 1e-6)

    def call(self, inputs):
        waveform, lengths = inputs
        waveform = tf.cast(waveform, tf.float32)
        frames = self.frames(lengths)  # (batch,)
        valid = tf.sequence_mask(lengths, tf.shape(waveform)[1], tf.float32)
        waveform = waveform * valid
        if self.causal:
            lead = tf.zeros([tf.shape(waveform)[0], self.frame_length - self.frame_step])
            logmel = self._logmel(tf.concat([lead, waveform], 1), pad_end=True)
            # Frame t ends at sample (t + 1) * frame_step: ceil(samples / step) frames.
            logmel = logmel[:, :-(-tf.shape(waveform)[1] // self.frame_step)]
        else:
            logmel = self._logmel(waveform, pad_end=True)
        mask = tf.sequence_mask(frames, tf.shape(logmel)[1], tf.float32)[..., None]
        if self.causal:
            # Running statistics: frame t's mean and variance over frames 0..t (after the
            # prior's frames, if any).
            p, prior_sum, prior_squares = self._prior()
            count = tf.maximum(tf.cumsum(mask, axis=1) + p, 1.0)
            mean = (tf.cumsum(logmel * mask, axis=1) + prior_sum) / count
            var = tf.maximum((tf.cumsum(tf.square(logmel) * mask, axis=1) + prior_squares)
                             / count - tf.square(mean), 0.0)
            return (logmel - mean) / (tf.sqrt(var) + 1e-3) * mask
        count = tf.maximum(tf.reduce_sum(mask, axis=1, keepdims=True), 1.0)
        mean = tf.reduce_sum(logmel * mask, axis=1, keepdims=True) / count
        var = tf.reduce_sum(tf.square(logmel - mean) * mask, axis=1, keepdims=True) / count
        return (logmel - mean) / (tf.sqrt(var) + 1e-3) * mask

    def initial_state(self, batch_size) -> dict:
        """The state before any sample (`causal=True`): the last frame_length - frame_step
        samples (zeros), and the running count, sum and sum of squares of the frames (the
        prior's, with `prior_frames`)."""
        self._check_causal()
        p, prior_sum, prior_squares = self._prior()
        ones = tf.ones([batch_size, 1])
        return {"samples": tf.zeros([batch_size, self.frame_length - self.frame_step]),
                "count": ones * p, "sum": ones * prior_sum, "squares": ones * prior_squares}

    def stream(self, chunk, state: dict):
        """(features (batch, chunk_samples / frame_step, num_mel_bins), next state) for a
        chunk (batch, k * frame_step) of the waveform: the frames `call` gives for those
        samples of the whole waveform (`causal=True`)."""
        self._check_causal()
        chunk = tf.cast(chunk, tf.float32)
        tf.debugging.assert_equal(
            tf.shape(chunk)[1] % self.frame_step, 0,
            message=f"a chunk must hold a multiple of frame_step ({self.frame_step}) samples")
        buffer = tf.concat([state["samples"], chunk], 1)
        logmel = self._logmel(buffer, pad_end=False)  # (batch, k, mels)
        # expand_dims rather than [:, None]: TensorFlow Lite's StridedSlice has no new axis
        count = tf.expand_dims(state["count"], 1) + tf.cumsum(tf.ones_like(logmel[..., :1]),
                                                              axis=1)
        total = tf.expand_dims(state["sum"], 1) + tf.cumsum(logmel, axis=1)
        squares = tf.expand_dims(state["squares"], 1) + tf.cumsum(tf.square(logmel), axis=1)
        mean = total / count
        var = tf.maximum(squares / count - tf.square(mean), 0.0)
        features = (logmel - mean) / (tf.sqrt(var) + 1e-3)
        keep = self.frame_length - self.frame_step
        return features, {"samples": buffer[:, tf.shape(buffer)[1] - keep:],
                          "count": count[:, -1], "sum": total[:, -1], "squares": squares[:, -1]}

    def _check_causal(self):
        if not self.causal:
            raise ValueError("LogMelSpectrogram streams only with causal=True (its default "
                             "frames reach into later samples and are normalised over the "
                             "whole utterance)")

    def compute_output_shape(self, input_shape):
        waveform_shape = input_shape[0]
        steps = None
        if waveform_shape[1] is not None:
            steps = -(-waveform_shape[1] // self.frame_step)
        return (waveform_shape[0], steps, self.num_mel_bins)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(self.compute_output_shape([inputs[0].shape]), dtype="float32")

    def get_config(self):
        return {**super().get_config(), "num_mel_bins": self.num_mel_bins,
                "sample_rate": self.sample_rate, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length,
                "causal": self.causal, "prior_frames": self.prior_frames}


@keras.saving.register_keras_serializable(package="seqsuite")
class AppendSilence(keras.layers.Layer):
    """`[waveform, lengths] -> [waveform', lengths + samples]`: `samples` zeros after each
    recording's valid samples.

    ```
    w'_i[n] = w_i[n] if n < length_i else 0,   n < length_i + samples
    ```

    A causal (streaming) recogniser can only emit a character once it has heard what
    follows it; speech synthesisers leave 5 to 50 ms after the last word, so the last
    characters would have to be guessed. Appended silence gives them time, in training,
    evaluation and serving alike; a stream is flushed with as much silence at its end.

    Args:
        samples: zeros appended (default 0: none).

    Call arguments:
        inputs: `[waveform, lengths]`: float (batch, time) padded with anything, and int
            (batch,) valid samples per row.

    Returns:
        `[float32 (batch, time + samples), int32 (batch,)]`.
    """

    def __init__(self, samples: int = 0, **kwargs):
        super().__init__(**kwargs)
        if int(samples) < 0:
            raise ValueError(f"AppendSilence samples must be >= 0. Received: samples={samples}")
        self.samples = int(samples)

    def call(self, inputs):
        waveform, lengths = inputs
        waveform = ops.cast(waveform, "float32")
        lengths = ops.cast(lengths, "int32")
        valid = ops.arange(ops.shape(waveform)[1])[None, :] < lengths[:, None]
        waveform = ops.where(valid, waveform, 0.0)
        return [ops.pad(waveform, [[0, 0], [0, self.samples]]), lengths + self.samples]

    def compute_output_shape(self, input_shape):
        (batch, time), lengths = input_shape
        return [(batch, None if time is None else time + self.samples), tuple(lengths)]

    def compute_output_spec(self, inputs):
        shapes = self.compute_output_shape([inputs[0].shape, inputs[1].shape])
        return [keras.KerasTensor(shapes[0], dtype="float32"),
                keras.KerasTensor(shapes[1], dtype="int32")]

    def get_config(self):
        return {**super().get_config(), "samples": self.samples}


@keras.saving.register_keras_serializable(package="seqsuite")
class SpecAugment(keras.layers.Layer):
    """Time and frequency masking of features, in training only (Park et al. 2019).

    Each of `freq_masks` masks sets `f ~ U{0..freq_mask_width}` consecutive
    feature bands from a uniform start to 0; each of `time_masks` masks does
    the same to `t ~ U{0..time_mask_width}` consecutive frames. Masks are drawn
    per example from a seeded generator. At inference the input passes
    unchanged. With normalised features 0 is the utterance mean.

    Args:
        freq_masks: frequency masks per example (default 2).
        freq_mask_width: widest frequency mask, in bands (default 8).
        time_masks: time masks per example (default 2).
        time_mask_width: widest time mask, in frames (default 20).
        seed: seed of the masks (default None: unseeded).

    Call arguments:
        inputs: float (batch, frames, bands).
        training: Python bool; masks only when True.
    """

    def __init__(self, freq_masks: int = 2, freq_mask_width: int = 8, time_masks: int = 2,
                 time_mask_width: int = 20, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("freq_masks", freq_masks), ("freq_mask_width", freq_mask_width),
                            ("time_masks", time_masks), ("time_mask_width", time_mask_width)):
            if int(value) < 0:
                raise ValueError(f"SpecAugment {name} must be >= 0. Received: {name}={value}")
        self.freq_masks = int(freq_masks)
        self.freq_mask_width = int(freq_mask_width)
        self.time_masks = int(time_masks)
        self.time_mask_width = int(time_mask_width)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def _keep(self, batch, size, count, width):
        """(batch, size) float: 0 inside any of `count` random spans of up to `width`."""
        keep = ops.ones((batch, size))
        positions = ops.arange(size)[None, :]
        for _ in range(count):
            w = keras.random.randint((batch, 1), 0, width + 1, seed=self.seed_generator)
            start = keras.random.uniform((batch, 1), seed=self.seed_generator)
            start = ops.cast(start * ops.cast(ops.maximum(size - w, 0) + 1, "float32"), "int32")
            inside = ops.logical_and(positions >= start, positions < start + w)
            keep = keep * (1.0 - ops.cast(inside, "float32"))
        return keep

    def call(self, inputs, training=False):
        if not training or (self.freq_masks * self.freq_mask_width
                            + self.time_masks * self.time_mask_width) == 0:
            return inputs
        shape = ops.shape(inputs)
        batch, frames, bands = shape[0], shape[1], shape[2]
        freq = self._keep(batch, bands, self.freq_masks, self.freq_mask_width)
        time = self._keep(batch, frames, self.time_masks, self.time_mask_width)
        keep = freq[:, None, :] * time[:, :, None]
        return inputs * ops.cast(keep, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "freq_masks": self.freq_masks,
                "freq_mask_width": self.freq_mask_width, "time_masks": self.time_masks,
                "time_mask_width": self.time_mask_width, "seed": self.seed}
