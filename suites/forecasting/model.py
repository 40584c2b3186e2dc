"""Forecasting model: raw windows -> scaled features -> recurrent encoder -> distribution.

One network serves one series or a whole collection (a global model). Each
window is scaled by its own last value and mean absolute step
(`shared.layers.probabilistic.location_scale`), so series of any level share one
set of weights; NaN steps (a history shorter than the window) are zeros with
an `observed` flag beside them. Past covariates and the known covariates of
the window's steps join the sequence; the encoder's last state, the known
covariates of the horizon, the series' frequency (`kind`) and an optional
learned series embedding feed a dense layer and the distribution head:

    features_t = [z_t, observed_t, past_t, known_t],   z_t = (y_t - loc) / scale
    h          = RNN(features_1..L)
    p          = head(relu(W [h, known_{L+1..L+H}, kind, embedding(series), z, observed]))

(`skip=false` leaves the scaled window z and its flags out of the head's input.)

`members` such networks are trained side by side on the same batches (each
on its own loss) and their quantiles combined (`combine`: mean or median): an
ensemble in one model. With `lookbacks`, member m reads only the last
fraction lookbacks[m] of the window (N-BEATS's ensemble over lookback lengths).
Forecasts are loc + scale * quantile, in the series' own units.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from seqsuite.shared.layers.conformal import apply_conformal, central_intervals
from seqsuite.shared.layers.encoders import sequence_encoder
from seqsuite.shared.layers.probabilistic import (
    DistributionHead,
    ForecastLoss,
    head_point,
    head_quantiles,
    location_scale,
)
from seqsuite.shared.run.suite import Serving
from seqsuite.shared.run.training import compile_model
from seqsuite.suites.forecasting.calendar import (
    calendar_columns,
    parse_timestamps,
    step_times,
)
from seqsuite.suites.forecasting.config import Config


@keras.saving.register_keras_serializable(package="seqsuite")
class ScaledWindow(keras.layers.Layer):
    """Raw window (batch, time), NaN where unobserved -> (batch, time, 2): [z, observed].

    z = (y - loc) / scale with `location_scale`'s loc and scale; 0 where unobserved.
    """

    def call(self, window):
        loc, scale = location_scale(window)
        observed = ops.logical_not(ops.isnan(window))
        z = ops.where(observed, (window - loc[:, None]) / scale[:, None], 0.0)
        return ops.stack([z, ops.cast(observed, z.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape, 2)


@keras.saving.register_keras_serializable(package="seqsuite")
class ObservedMask(keras.layers.Layer):
    """Passes steps (batch, time, features) on, masked where column `flag` is 0.

    The recurrent encoder then skips the padding before a short history
    instead of reading zeros: a layer-normalised cell fed zero vectors has a
    Jacobian of 1/sqrt(epsilon) per step, and its gradient explodes (1e25
    after 18 padded steps); a masked step keeps the state and passes no gradient.
    """

    def __init__(self, flag: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.flag = flag
        self.supports_masking = True

    def call(self, inputs):
        # A new tensor: Keras attaches the mask to what `call` returns, and the
        # unmasked input also feeds the head's skip path.
        return ops.copy(inputs)

    def compute_mask(self, inputs, mask=None):
        return ops.greater(inputs[..., self.flag], 0.5)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "flag": self.flag}


@keras.saving.register_keras_serializable(package="seqsuite")
class FillMissing(keras.layers.Layer):
    """Replaces NaN by 0 (a normalised covariate's mean)."""

    def call(self, inputs):
        return ops.where(ops.isnan(inputs), 0.0, inputs)


@keras.saving.register_keras_serializable(package="seqsuite")
class TimeSlice(keras.layers.Layer):
    """`inputs[:, start:stop]` along time.

    Args:
        start, stop: bounds of the slice (default: the whole axis).
    """

    def __init__(self, start: int = 0, stop: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.start, self.stop = start, stop

    def call(self, inputs):
        return inputs[:, self.start : self.stop]

    def compute_output_shape(self, input_shape):
        length = len(range(input_shape[1])[self.start : self.stop]) if input_shape[1] else None
        return (input_shape[0], length, *input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "start": self.start, "stop": self.stop}


def model_inputs(config: Config) -> dict:
    """The model's (and the SavedModel's) inputs, by name, for `config`."""
    w, h = config.window, config.horizon
    inputs = {"window": keras.Input((w,), name="window")}
    if config.features:
        inputs["past"] = keras.Input((w, len(config.features)), name="past")
    if config.n_known:
        inputs["known"] = keras.Input((w + h, config.n_known), name="known")
    if config.embedding:
        inputs["series"] = keras.Input((), dtype="string", name="series")
    if len(config.kinds or []) > 1:
        inputs["kind"] = keras.Input((), dtype="string", name="kind")
    return inputs


def build_model(config: Config) -> keras.Model:
    """Compiled forecaster for `config` (covariate normalisations adapted by the runner)."""
    inputs = model_inputs(config)
    w, h = config.window, config.horizon
    steps = [ScaledWindow(name="scaled_window")(inputs["window"])]
    static = []
    if config.features:
        past = keras.layers.Normalization(axis=-1, name="past_normalize")(inputs["past"])
        steps.append(FillMissing(name="past_fill")(past))
    if config.n_known:
        known = keras.layers.Normalization(axis=-1, name="known_normalize")(inputs["known"])
        known = FillMissing(name="known_fill")(known)
        steps.append(TimeSlice(0, w, name="known_past")(known))
        static.append(keras.layers.Flatten(name="known_future")(
            TimeSlice(w, w + h, name="known_horizon")(known)))
    if "kind" in inputs:
        lookup = keras.layers.StringLookup(vocabulary=config.kinds, output_mode="one_hot",
                                           name="kind_lookup")
        static.append(lookup(inputs["kind"]))
    if config.embedding:
        ids = keras.layers.StringLookup(vocabulary=config.series_ids, name="series_lookup")
        # Zero-initialised: an id never seen in training (row 0) adds nothing.
        table = keras.layers.Embedding(len(config.series_ids) + 1, config.embedding,
                                       embeddings_initializer="zeros", name="series_embedding")
        static.append(table(ids(inputs["series"])))
    if config.skip:
        # The scaled window itself, straight to the head (LSTNet's highway, N-BEATS's input):
        # copying last season's shape is one linear map, which a recurrent state learns slowly.
        static.append(keras.layers.Flatten(name="window_skip")(steps[0]))
    sequence = steps[0] if len(steps) == 1 else keras.layers.Concatenate(name="steps")(steps)
    members = []
    for m in range(config.members):
        seed = config.seed + 101 * m
        own, context = sequence, static
        if config.lookback(m) < w:
            # N-BEATS's lookback ensemble: this member sees only the window's last steps
            # (in the whole window's scaled units).
            start = w - config.lookback(m)
            own = TimeSlice(start, w, name=f"lookback_{m}")(sequence)
            if config.skip:
                tail = TimeSlice(start, w, name=f"lookback_skip_{m}")(steps[0])
                context = [*static[:-1], keras.layers.Flatten(name=f"window_skip_{m}")(tail)]
        own = ObservedMask(1, name=f"observed_mask_{m}" if m else "observed_mask")(own)
        encoded = sequence_encoder(own, config, seed=seed, name=f"encoder_{m}")
        if context:
            encoded = keras.layers.Concatenate(name=f"context_{m}")([encoded, *context])
        hidden = keras.layers.Dense(config.units, activation="relu", name=f"hidden_{m}",
                                    kernel_initializer=keras.initializers.GlorotUniform(seed))(
            encoded)
        params = DistributionHead(config.head, h, config.quantiles, name=f"head_{m}",
                                  kernel_initializer=keras.initializers.GlorotUniform(seed + 1))(
            hidden)
        members.append(keras.layers.Reshape((1, h, params.shape[-1]), name=f"member_{m}")(params))
    out = members[0] if len(members) == 1 else keras.layers.Concatenate(axis=1, name="members")(
        members)
    model = keras.Model(inputs, out, name=f"forecaster_{config.cell}")
    return compile_model(model, config, loss=ForecastLoss(config.head, config.quantiles))


def scaled_forecasts(params, config: Config, levels=None) -> tuple:
    """(point (batch, H), quantiles (batch, H, Q)) in the windows' scaled units from
    parameters (batch, members, H, P), combined over members (`config.combine`: the
    mean, or the median as N-BEATS's ensembles), with the run's conformal
    offsets applied (`config.conformal`) when `levels` are the config's own."""
    own = levels is None or list(levels) == list(config.quantiles)
    levels = list(config.quantiles if levels is None else levels)
    combine = ops.median if config.combine == "median" else ops.mean
    point = combine(head_point(config.head, config.quantiles, params), axis=1)
    q = combine(head_quantiles(config.head, config.quantiles, params, levels), axis=1)
    if own and config.conformal is not None:
        q = apply_conformal(point, q, config.conformal, levels,
                            "split" if config.intervals == "split" else "conformal")
    return point, q


def forecast_outputs(params, window, config: Config, levels=None) -> dict:
    """Forecasts in original units from parameters (batch, members, H, P) and raw windows.

    Returns `forecast` (batch, H), the point forecast, and `quantiles`
    (batch, H, Q) at `levels` (default: the config's), combined over members and
    calibrated as `scaled_forecasts` says.
    """
    loc, scale = location_scale(window)
    point, q = scaled_forecasts(params, config, levels)
    return {"forecast": loc[:, None] + scale[:, None] * point,
            "quantiles": loc[:, None, None] + scale[:, None, None] * q}


def predict_params(model: keras.Model, inputs: dict, batch_size: int = 512) -> np.ndarray:
    """The model's parameters (batch, members, H, P) for model inputs (see `model_inputs`)."""
    # Through tf.data: Keras's array adapter refuses NumPy string arrays (series ids).
    batches = tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)
    return model.predict(batches, verbose=0)


def predict(model: keras.Model, inputs: dict, config: Config, batch_size: int = 512) -> dict:
    """`forecast_outputs` as NumPy arrays for model inputs (see `model_inputs`)."""
    out = forecast_outputs(predict_params(model, inputs, batch_size), inputs["window"], config)
    return {k: np.asarray(v) for k, v in out.items()}


WHAT = {"window": "the last {w} observations of each series, NaN where missing",
        "past": "the past covariates over the window",
        "known": "the known covariates over the window and the horizon"}


def checked(inputs: dict, shapes: dict) -> dict:
    """`inputs` after in-graph checks of their shapes (`shapes`: name -> the shape after
    the batch axis). A SavedModel signature checks only dtypes, so a window of the wrong
    length would otherwise fail deep in the graph; here it fails with a message naming
    the input, the shape it must have and the shape it received (a window without its
    batch axis: the same, from `ensure_shape`)."""
    out = dict(inputs)
    for name in ("window", "past", "known"):
        if name not in inputs:
            continue
        x, expected = inputs[name], shapes[name]
        shape = tf.shape(x)
        fits = tf.cond(tf.size(shape) == len(expected) + 1,
                       lambda shape=shape, expected=expected: tf.reduce_all(
                           shape[1:] == tf.constant(expected, tf.int32)),
                       lambda: tf.constant(False))
        dims = ", ".join(["batch", *map(str, expected)])
        length = expected[0]
        what = WHAT[name].format(w=length)
        check = tf.debugging.Assert(fits, [f"{name} must be float32 [{dims}] ({what}); "
                                           "received shape", shape])
        with tf.control_dependencies([check]):
            out[name] = tf.ensure_shape(tf.identity(x), [None, *expected])
    return out


def serving(model: keras.Model, config: Config) -> Serving:
    """Serving function: raw inputs (see `model_inputs`) -> forecasts in original units.

    Outputs: `forecast` (batch, horizon), `quantiles` (batch, horizon, Q) at
    the config's levels, and `lower_P`/`upper_P` (batch, horizon) for every
    central P% interval among them.

    A dated run (calendar covariates) also has the `dated` endpoint: the same
    inputs, but `last_time` (string (batch,), the timestamp of each window's last
    observation, `2024-03-01` or `2024-03-01 13:00[:05]`) in place of the calendar
    columns, which it computes in the graph (`calendar`), and `known` holding only
    the user's known-in-advance columns, if any. It adds `status` (string (batch,)):
    `ok`, or why that row's timestamp cannot be read (its forecasts are then NaN).
    """
    names = list(model_inputs(config))
    intervals = central_intervals(config.quantiles)
    w, h = config.window, config.horizon
    shapes = {"window": [w], "past": [w, len(config.features)], "known": [w + h, config.n_known]}
    specs = {name: tf.TensorSpec([None, *shape], tf.float32, name=name)
             for name, shape in shapes.items()}
    specs.update(series=tf.TensorSpec([None], tf.string, name="series"),
                 kind=tf.TensorSpec([None], tf.string, name="kind"))

    def forecasts(inputs):
        out = forecast_outputs(model(inputs, training=False), inputs["window"], config)
        for percent, low, high in intervals:
            out[f"lower_{percent}"] = out["quantiles"][..., low]
            out[f"upper_{percent}"] = out["quantiles"][..., high]
        return out

    def serve(*args):
        return forecasts(checked(dict(zip(names, args)), shapes))

    # (pandas reads the frequency: imported here, as the model must load without the extra)
    from seqsuite.suites.forecasting.collections import frequency_steps

    endpoints = {}
    stepping = frequency_steps(config.frequency) if config.calendar_features else None
    dated_shapes = {**shapes, "known": [w + h, len(config.known)]}

    def with_calendar(inputs):
        """`forecasts` of inputs holding `last_time` in place of the calendar columns."""
        kind, months, step_seconds = stepping
        stamps = inputs.pop("last_time")
        days, seconds, ok = parse_timestamps(stamps)
        steps = tf.range(-(w - 1), h + 1, dtype=tf.int64)  # the window, then the horizon
        calendar = calendar_columns(*step_times(days, seconds, steps, months, step_seconds),
                                    kind)
        inputs["known"] = (tf.concat([calendar, inputs["known"]], axis=-1) if config.known
                           else calendar)
        out = forecasts(inputs)
        for key, value in out.items():
            out[key] = tf.where(_rows(ok, value), value, tf.constant(float("nan"), value.dtype))
        out["status"] = tf.where(ok, tf.constant("ok"), tf.strings.join([
            "last_time '", stamps, "' is not a date; write it as YYYY-MM-DD or "
            "YYYY-MM-DD HH:MM[:SS]"]))
        return out

    if stepping is not None:
        dated_names = [n for n in names if n != "known"] + ["last_time"]
        dated_specs = {**specs, "last_time": tf.TensorSpec([None], tf.string, name="last_time"),
                       "known": tf.TensorSpec([None, *dated_shapes["known"]], tf.float32,
                                              name="known")}
        if config.known:
            dated_names.insert(dated_names.index("last_time"), "known")

        def dated(*args):
            return with_calendar(checked(dict(zip(dated_names, args)), dated_shapes))

        endpoints["dated"] = (dated, [dated_specs[n] for n in dated_names])
    endpoints.update(_streaming(config, names, specs, stepping is not None, forecasts,
                                with_calendar, shapes, dated_shapes))
    return Serving(serve, [specs[n] for n in names], endpoints=endpoints)


def _rows(flags, value):
    """`flags` (batch,) shaped to broadcast against `value` (batch, ...)."""
    return tf.reshape(flags, [-1] + [1] * (len(value.shape) - 1))


def _streaming(config: Config, names, specs, dated: bool, forecasts, with_calendar, shapes,
               dated_shapes) -> dict:
    """The `initial_state` and `stream` endpoints: one new observation per series at a time.

    Each window is scaled by its own last value and mean step, which move with every
    observation, so the recurrent state of one window cannot be carried into the next
    (that would be another model). The state is instead the last `window` observations
    (`state_window`, NaN before the first, as a short history is) and their past
    covariates (`state_past`): each observation costs one window, whatever the stream's
    length, and the outputs are `serving_default`'s (`dated`'s) on that window, plus
    `ready`: whether the window holds the `min_context` observations the model was
    trained with (the forecasts are NaN until it does).

    Inputs: `value` (batch,) the new observation (NaN: missing); `past` (batch, features)
    its past covariates; for a dated run `last_time` (batch,) its timestamp, from which
    the calendar columns are computed; `known` (batch, window + horizon, columns) the
    user's known covariates over the window and horizon; `series`, `kind` as the model
    takes them; then the state.
    """
    w, nf = config.window, len(config.features)
    inputs = ["value"] + (["past"] if nf else [])
    inputs += [n for n in ("series", "kind") if n in names]
    if dated:
        inputs += (["known"] if config.known else []) + ["last_time"]
    elif "known" in names:
        inputs.append("known")
    state_specs = {"state_window": tf.TensorSpec([None, w], tf.float32, name="state_window")}
    if nf:
        state_specs["state_past"] = tf.TensorSpec([None, w, nf], tf.float32, name="state_past")
    known_shape = dated_shapes["known"] if dated else shapes.get("known")
    input_specs = {"value": tf.TensorSpec([None], tf.float32, name="value"),
                   "past": tf.TensorSpec([None, nf], tf.float32, name="past"),
                   "series": specs["series"], "kind": specs["kind"],
                   "last_time": tf.TensorSpec([None], tf.string, name="last_time"),
                   "known": tf.TensorSpec([None, *(known_shape or [])], tf.float32,
                                          name="known")}

    def initial_state(batch_size):
        nan = float("nan")
        state = {"state_window": tf.fill([batch_size, w], nan)}
        if nf:
            state["state_past"] = tf.fill([batch_size, w, nf], nan)
        return state

    def stream(*args):
        given = dict(zip([*inputs, *state_specs], args))
        window = tf.concat([given.pop("state_window")[:, 1:], given.pop("value")[:, None]], 1)
        step = {"window": window, **{k: v for k, v in given.items() if k in inputs}}
        state = {"state_window": window}
        if nf:
            step["past"] = state["state_past"] = tf.concat(
                [given.pop("state_past")[:, 1:], given["past"][:, None]], 1)
        if "known" in step:
            step = {**step, **checked({"known": step["known"]},
                                      {"known": known_shape})}
        out = with_calendar(step) if dated else forecasts(step)
        ready = tf.reduce_sum(tf.cast(tf.math.is_finite(window), tf.int32), 1) >= \
            config.min_context
        for key, value in out.items():
            if value.dtype.is_floating:
                out[key] = tf.where(_rows(ready, value), value,
                                    tf.constant(float("nan"), value.dtype))
        return {**out, "ready": ready, **state}

    return {"initial_state": (initial_state, [tf.TensorSpec([], tf.int32, name="batch_size")]),
            "stream": (stream, [*(input_specs[n] for n in inputs), *state_specs.values()])}
