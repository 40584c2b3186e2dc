"""Tests for shared.layers.audio: WAV parsing of good and bad files, resampling, log-mel, SpecAugment."""

import io
import wave

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src import testing

from seqsuite.shared.layers.audio import (
    NO_AUDIO,
    NOT_WAV,
    OK,
    SILENT,
    STATUS,
    TOO_LONG,
    TRUNCATED,
    UNSUPPORTED,
    AppendSilence,
    LogMelSpectrogram,
    SpecAugment,
    decode_wavs,
    encode_wav,
    frame_count,
    resample,
    status_text,
)

RATE = 16000


def tone(seconds=1.0, rate=RATE, hz=440.0, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype("float32")


def wav_bytes(samples, rate=RATE, channels=1, width=2):
    """A WAV file written by Python's `wave` module (PCM, interleaved channels)."""
    x = np.clip(np.asarray(samples, "float64"), -1, 1)
    data = {1: lambda: (x * 127 + 128).astype("u1"), 2: lambda: (x * 32767).astype("<i2"),
            4: lambda: (x * (2**31 - 1)).astype("<i4")}[width]()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return out.getvalue()


def float_wav(samples, rate=RATE):
    """An IEEE-float WAV (format 3), written by hand: `wave` writes PCM only."""
    data = np.asarray(samples, "<f4").tobytes()
    fmt = (b"fmt " + (16).to_bytes(4, "little") + (3).to_bytes(2, "little")
           + (1).to_bytes(2, "little") + rate.to_bytes(4, "little")
           + (rate * 4).to_bytes(4, "little") + (4).to_bytes(2, "little")
           + (32).to_bytes(2, "little"))
    body = b"WAVE" + fmt + b"LIST" + (4).to_bytes(4, "little") + b"INFO" + b"data" + len(
        data).to_bytes(4, "little") + data
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def decode(files, **kwargs):
    waveforms, lengths, status = decode_wavs(tf.constant(files), **kwargs)
    return waveforms.numpy(), lengths.numpy(), status.numpy()


def test_pcm_encodings_and_float_decode_to_the_same_waveform():
    x = tone()
    files = [wav_bytes(x), wav_bytes(x, width=1), wav_bytes(x, width=4), float_wav(x),
             encode_wav(x)]
    waveforms, lengths, status = decode(files)
    assert status.tolist() == [OK] * 5 and lengths.tolist() == [RATE] * 5
    for row, tolerance in zip(waveforms, (1e-4, 2e-2, 1e-4, 1e-6, 1e-4)):
        np.testing.assert_allclose(row, x, atol=tolerance)


def test_stereo_is_downmixed_and_other_rates_resampled():
    left, right = tone(hz=440), tone(hz=660)
    stereo = np.stack([left, right], axis=1).ravel()
    waveforms, lengths, status = decode([wav_bytes(stereo, channels=2),
                                         wav_bytes(tone(rate=44100), rate=44100),
                                         wav_bytes(tone(rate=8000), rate=8000)])
    assert status.tolist() == [OK, OK, OK] and lengths.tolist() == [RATE] * 3
    np.testing.assert_allclose(waveforms[0], (left + right) / 2, atol=1e-4)
    for row in waveforms[1:]:  # a 440 Hz tone at any rate is the same tone at 16 kHz
        np.testing.assert_allclose(row[200:-200], tone()[200:-200], atol=2e-3)


def test_bad_files_get_their_own_status_and_leave_the_others_alone():
    good = wav_bytes(tone())
    files = [b"just some text", good, good[:20000], good[:30], b"", wav_bytes(np.zeros(RATE)),
             wav_bytes(tone(seconds=3)), good[:44],
             good.replace(b"\x01\x00\x01\x00", b"\x07\x00\x01\x00", 1)]  # format 7: mu-law
    waveforms, lengths, status = decode(files, max_seconds=2.0)
    assert status.tolist() == [NOT_WAV, OK, TRUNCATED, NO_AUDIO, NOT_WAV, SILENT, TOO_LONG,
                               NO_AUDIO, UNSUPPORTED]
    assert lengths.tolist() == [0, RATE, (20000 - 44) // 2, 0, 0, RATE, 2 * RATE, 0, 0]
    np.testing.assert_allclose(waveforms[1, : lengths[1]], tone(), atol=1e-4)
    np.testing.assert_allclose(waveforms[2, : lengths[2]], tone()[: lengths[2]], atol=1e-4)
    assert [t.decode() for t in status_text(status).numpy()] == [STATUS[s] for s in status]


def test_decoding_runs_in_a_graph():
    fn = tf.function(lambda c: decode_wavs(c), input_signature=[tf.TensorSpec([None], tf.string)])
    _, lengths, status = fn(tf.constant([wav_bytes(tone()), b"nope"]))
    assert lengths.numpy().tolist() == [RATE, 0] and status.numpy().tolist() == [OK, NOT_WAV]


def test_resample_keeps_a_tone_and_the_duration():
    out = resample(tone(seconds=0.5, rate=22050), 22050, RATE).numpy()
    assert len(out) == 8000
    np.testing.assert_allclose(out[100:-100], tone(seconds=0.5)[100:-100], atol=2e-3)
    same = tone(seconds=0.1)
    np.testing.assert_array_equal(resample(same, RATE, RATE).numpy(), same)
    assert resample(np.zeros(0, "float32"), 8000, RATE).shape == (0,)


def reference_logmel(x, layer):
    """NumPy: Hann-windowed power spectrum, mel matrix, log, per-band standardisation."""
    n_frames = -(-len(x) // layer.frame_step)
    padded = np.concatenate([x, np.zeros(layer.frame_length + layer.frame_step)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(layer.frame_length) / layer.frame_length)
    frames = np.stack([padded[i * layer.frame_step: i * layer.frame_step + layer.frame_length]
                       for i in range(n_frames)]) * window
    power = np.abs(np.fft.rfft(frames, layer.fft_length)) ** 2
    logmel = np.log(power @ layer.mel_matrix.numpy() + 1e-6)
    return (logmel - logmel.mean(0)) / (logmel.std(0) + 1e-3)


def test_log_mel_matches_numpy_and_ignores_padding():
    layer = LogMelSpectrogram(num_mel_bins=20)
    rng = np.random.default_rng(0)
    a = rng.normal(size=3000).astype("float32") * 0.1
    b = rng.normal(size=1700).astype("float32") * 0.1
    batch = np.zeros((2, 3000), "float32")
    batch[0], batch[1, :1700] = a, b
    batch[1, 1700:] = 7.0  # garbage past the end must not leak in
    out = layer([batch, np.array([3000, 1700])]).numpy()
    assert out.shape == (2, 19, 20)
    assert frame_count(np.array([3000, 1700])).numpy().tolist() == [19, 11]
    np.testing.assert_allclose(out[0], reference_logmel(a, layer), atol=2e-3)
    np.testing.assert_allclose(out[1, :11], reference_logmel(b, layer), atol=2e-3)
    assert (out[1, 11:] == 0).all()
    # per-utterance normalisation: a louder copy gives the same features
    louder = layer([batch[:1] * 10, np.array([3000])]).numpy()
    np.testing.assert_allclose(louder[0], out[0], atol=1e-3)


def reference_causal_logmel(x, layer):
    """NumPy, causal form: frame t ends at sample (t + 1) * step (frame_length - step zeros
    lead the waveform), each frame standardised by the mean and std of frames 0..t."""
    lead = np.zeros(layer.frame_length - layer.frame_step)
    n_frames = -(-len(x) // layer.frame_step)
    padded = np.concatenate([lead, x, np.zeros(layer.frame_length)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(layer.frame_length) / layer.frame_length)
    frames = np.stack([padded[i * layer.frame_step: i * layer.frame_step + layer.frame_length]
                       for i in range(n_frames)]) * window
    logmel = np.log(np.abs(np.fft.rfft(frames, layer.fft_length)) ** 2
                    @ layer.mel_matrix.numpy() + 1e-6)
    out = np.empty_like(logmel)
    for t in range(n_frames):
        seen = logmel[: t + 1]
        out[t] = (logmel[t] - seen.mean(0)) / (seen.std(0) + 1e-3)
    return out


def test_causal_log_mel_matches_numpy_and_uses_no_later_sample():
    layer = LogMelSpectrogram(num_mel_bins=20, causal=True)
    rng = np.random.default_rng(1)
    a = rng.normal(size=3000).astype("float32") * 0.1
    batch = np.full((2, 3000), 7.0, "float32")  # garbage past each length
    batch[0], batch[1, :1700] = a, a[:1700]
    out = layer([batch, np.array([3000, 1700])]).numpy()
    assert out.shape == (2, 19, 20)
    np.testing.assert_allclose(out[0], reference_causal_logmel(a, layer), atol=2e-3)
    np.testing.assert_allclose(out[1, :11], reference_causal_logmel(a[:1700], layer),
                               atol=2e-3)
    assert (out[1, 11:] == 0).all()
    # frame t ends at sample 160 (t + 1): a change from sample 2000 on leaves frames 0..11
    changed = a.copy()
    changed[2000:] += 1.0
    later = layer([changed[None], np.array([3000])]).numpy()[0]
    np.testing.assert_array_equal(later[:12], out[0, :12])
    assert np.abs(later[12:] - out[0, 12:]).max() > 0.1


@pytest.mark.parametrize("chunks", [[1600, 1600, 1600], [160] * 30, [3200, 160, 1440]])
def test_causal_log_mel_streams_chunk_by_chunk(chunks):
    layer = LogMelSpectrogram(num_mel_bins=16, causal=True)
    x = (np.random.default_rng(2).normal(size=(2, sum(chunks))) * 0.1).astype("float32")
    whole = layer([x, np.array([x.shape[1]] * 2)]).numpy()
    state, streamed, start = layer.initial_state(2), [], 0
    for size in chunks:
        features, state = layer.stream(x[:, start:start + size], state)
        assert features.shape == (2, size // 160, 16)
        streamed.append(features.numpy())
        start += size
    np.testing.assert_allclose(np.concatenate(streamed, axis=1), whole, atol=1e-4)


def test_causal_log_mel_prior_starts_the_running_statistics(tmp_path):
    """prior_frames = p: frame t is standardised by the statistics of p prior frames (the
    adapted training mean and variance) and frames 0..t; streamed the same; kept on save."""
    rng = np.random.default_rng(3)
    train = [(rng.normal(size=n) * 0.1).astype("float32") for n in (2000, 3300)]
    layer = LogMelSpectrogram(num_mel_bins=12, causal=True, prior_frames=50)
    layer.adapt(train)
    plain = LogMelSpectrogram(num_mel_bins=12, causal=True)
    seen = np.concatenate([plain._logmel(tf.constant(np.concatenate(
        [np.zeros(240, "float32"), w[: len(w) // 160 * 160]])[None]), False).numpy()[0]
        for w in train])
    np.testing.assert_allclose(layer.prior_mean.numpy(), seen.mean(0), atol=1e-4)
    np.testing.assert_allclose(layer.prior_variance.numpy(), seen.var(0), rtol=1e-3)
    x = (rng.normal(size=2400) * 0.1).astype("float32")
    out = layer([x[None], np.array([2400])]).numpy()[0]
    # NumPy: the reference's frames with 50 prior frames' sums ahead of them
    lead = np.zeros(240)
    frames = plain._logmel(tf.constant(np.concatenate([lead, x])[None].astype("float32")),
                           False).numpy()[0]
    mu0, var0 = layer.prior_mean.numpy(), layer.prior_variance.numpy()
    for t in range(len(frames)):
        count = 50 + t + 1
        mean = (50 * mu0 + frames[: t + 1].sum(0)) / count
        var = (50 * (var0 + mu0 ** 2) + np.square(frames[: t + 1]).sum(0)) / count - mean ** 2
        np.testing.assert_allclose(out[t], (frames[t] - mean) / (np.sqrt(var) + 1e-3),
                                   atol=2e-3)
    state, streamed = layer.initial_state(1), []
    for start in range(0, 2400, 480):
        features, state = layer.stream(x[None, start:start + 480], state)
        streamed.append(features.numpy()[0])
    np.testing.assert_allclose(np.concatenate(streamed), out, atol=1e-4)
    inputs = [keras.Input((None,)), keras.Input((), dtype="int32")]
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again([x[None], np.array([2400])]).numpy()[0], out, atol=1e-5)
    with pytest.raises(ValueError, match="for causal=True only"):
        LogMelSpectrogram(prior_frames=10)
    with pytest.raises(ValueError, match="prior_frames > 0"):
        plain.adapt(train)


def test_only_a_causal_log_mel_streams_and_only_whole_frames():
    with pytest.raises(ValueError, match="causal=True"):
        LogMelSpectrogram().initial_state(1)
    layer = LogMelSpectrogram(causal=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiple of frame_step"):
        layer.stream(np.zeros((1, 100), "float32"), layer.initial_state(1))
    again = LogMelSpectrogram.from_config(layer.get_config())
    assert again.causal and again.frame_step == 160


def test_log_mel_rejects_bad_arguments():
    with pytest.raises(ValueError, match="fft_length"):
        LogMelSpectrogram(frame_length=600, fft_length=512)
    with pytest.raises(ValueError, match="num_mel_bins"):
        LogMelSpectrogram(num_mel_bins=0)


def test_spec_augment_masks_only_in_training_and_is_seeded():
    x = np.ones((3, 50, 16), "float32")
    layer = SpecAugment(freq_masks=2, freq_mask_width=4, time_masks=2, time_mask_width=10, seed=3)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    masked = layer(x, training=True).numpy()
    assert 0 < (masked == 0).mean() < 0.6
    # a masked band is masked at every frame, a masked frame in every band
    for row in masked:
        zero_bands = (row == 0).all(axis=0)
        zero_frames = (row == 0).all(axis=1)
        assert ((row == 0) == (zero_bands[None, :] | zero_frames[:, None])).all()
        assert zero_bands.sum() <= 8 and zero_frames.sum() <= 20
    again = SpecAugment(freq_masks=2, freq_mask_width=4, time_masks=2, time_mask_width=10,
                        seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(again, masked)


def test_append_silence_zeroes_past_each_length_then_appends():
    layer = AppendSilence(3)
    waveform = np.array([[1, 2, 3, 4], [5, 6, 9, 9]], "float32")  # row 1: 2 valid, garbage
    out, lengths = layer([waveform, np.array([4, 2])])
    expected = np.array([[1, 2, 3, 4, 0, 0, 0], [5, 6, 0, 0, 0, 0, 0]], "float32")
    np.testing.assert_array_equal(out.numpy(), expected)
    assert lengths.numpy().tolist() == [7, 5]
    again = AppendSilence.from_config(layer.get_config())
    assert again.samples == 3
    with pytest.raises(ValueError, match="samples must be >= 0"):
        AppendSilence(-1)


class AudioLayerTest(testing.TestCase):
    def test_spec_augment_harness(self):
        self.run_layer_test(
            SpecAugment,
            init_kwargs={"freq_masks": 1, "freq_mask_width": 2, "time_masks": 1,
                         "time_mask_width": 3, "seed": 1},
            input_shape=(2, 10, 8),
            expected_output_shape=(2, 10, 8),
            expected_num_trainable_weights=0,
            expected_num_seed_generators=1,
            supports_masking=True,
        )


def test_log_mel_in_a_model_saves_and_loads(tmp_path):
    waveform = keras.Input((None,), name="waveform")
    lengths = keras.Input((), dtype="int32", name="samples")
    features = LogMelSpectrogram(num_mel_bins=16, name="logmel")([waveform, lengths])
    out = keras.layers.Dense(2)(SpecAugment(seed=0)(features))
    model = keras.Model([waveform, lengths], out)
    x = [np.random.default_rng(0).normal(size=(2, 800)).astype("float32"), np.array([800, 500])]
    assert model(x).shape == (2, 5, 2)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again(x), model(x), atol=1e-5)
