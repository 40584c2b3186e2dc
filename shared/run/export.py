"""SavedModel export with a serving signature on raw inputs.

Each suite's `model.serving(model, config)` returns a `shared.run.suite.Serving`: a
TensorFlow function and its input signature that take what a user has (unscaled numbers,
strings, bytes) and return what a user wants (original units, decoded text), with any
further signatures. The SavedModel loads with plain `tf.saved_model.load`; no seqsuite
import is needed to serve it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import keras

from seqsuite.shared.run.suite import Serving


def export_saved_model(model: keras.Model, path: Path, serving: Serving) -> Path:
    """Write `serving.function` as the `serve` (and `serving_default`) endpoint of a
    SavedModel at `path`, with `serving.endpoints` beside it and `serving.track`'s
    resources saved.

    `path` is a fresh directory: `shared.run.directory.Run.export` writes it beside its
    target and moves it into place (`shared.run.files.replacing`), so a failed export
    never leaves a half-written SavedModel where a server would look.
    """
    from keras.export import ExportArchive

    archive = ExportArchive()
    archive.track(model)
    for layer in serving.track:
        archive.track(layer)
    archive.add_endpoint(name="serve", fn=serving.function, input_signature=serving.signature)
    for name, (function, signature) in serving.endpoints.items():
        archive.add_endpoint(name=name, fn=function, input_signature=signature)
    archive.write_out(str(path), verbose=False)
    return Path(path)


QUANTIZE = ("none", "dynamic")


def export_tflite(model: keras.Model, serving: Serving, endpoint: str = "stream",
                  quantize: str = "none") -> bytes:
    """`serving.endpoints[endpoint]` as a TensorFlow Lite flatbuffer, at batch 1, with the
    built-in operators only (the interpreter of a phone or a microcontroller has no others).

    The function is traced again from the Keras model with a static batch of 1: a recurrent
    loop traced for any batch keeps an unknown element shape that TensorFlow Lite's
    lowering of TensorList ops refuses ("requires element_shape to be static"), which is
    why a SavedModel signature itself does not convert. `quantize="dynamic"` is
    post-training dynamic-range quantisation: weights stored as int8 (a quarter of the
    bytes), activations float, dequantised on the fly; no calibration data needed.
    Matrices under 1,024 weights stay float (the converter's own threshold).

    `serving.lite[endpoint]`, where a suite gives one, is converted instead of the
    SavedModel's endpoint (speech: character ids out instead of text, 120 ms chunks).

    Raises `ConfigError` for an endpoint the model does not have, or one that takes
    strings (a timestamp, a token), which the built-in operators cannot parse.
    """
    import tensorflow as tf

    from seqsuite.shared.errors import ConfigError

    if endpoint not in serving.endpoints:
        raise ConfigError(f"this run's SavedModel has no {endpoint} signature to convert; "
                          "TensorFlow Lite export is for streaming models (forecasting, "
                          "anomaly, speech with streaming=true)")
    if quantize not in QUANTIZE:
        raise ConfigError(f"--quantize must be one of {', '.join(QUANTIZE)}, got '{quantize}'")
    function, signature = serving.lite.get(endpoint) or serving.endpoints[endpoint]
    strings = [spec.name for spec in signature if spec.dtype == tf.string]
    if strings:
        hint = "; train the forecaster with --set calendar=false" if "last_time" in strings \
            else ""
        raise ConfigError(f"the {endpoint} signature takes strings ({', '.join(strings)}), "
                          f"which TensorFlow Lite's built-in operators cannot read{hint}")
    static = [tf.TensorSpec([1, *spec.shape[1:]], spec.dtype, name=spec.name)
              if spec.shape.rank else spec for spec in signature]
    with _unrolled(model):
        concrete = tf.function(function, input_signature=static,
                               autograph=False).get_concrete_function()
    # The weights frozen into constants (the converter would otherwise keep them as
    # resource variables, which it neither quantises nor folds into its fused kernels);
    # an empty module to carry the function keeps its named inputs and outputs as the
    # flatbuffer's signature.
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    frozen = convert_variables_to_constants_v2(concrete)
    # A frozen function returns its outputs flat, in tf.nest's (sorted-key) order.
    names = tf.nest.flatten({name: name for name in concrete.structured_outputs})

    def named(*args):
        return dict(zip(names, tf.nest.flatten(frozen(*args))))

    named = tf.function(named, input_signature=static, autograph=False)
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [named.get_concrete_function()], tf.Module())
    if quantize == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    from seqsuite.shared.run.files import native_stderr_closed

    try:
        with native_stderr_closed():  # the converter prints its MLIR diagnostics there
            return converter.convert()
    except Exception as err:  # the converter raises its own ConverterError, or others
        import re

        text = str(err)
        missing = sorted(set(re.findall(r"'tf\.(\w+)' op is neither a custom op", text)))
        if missing:
            why = (f"it uses {', '.join(missing)}, which TensorFlow Lite's built-in "
                   "operators lack")
        else:
            first = next((line for line in text.splitlines() if "error:" in line),
                         text.splitlines()[0] if text else type(err).__name__)
            why = first.split("error:", 1)[-1].strip()
        raise ConfigError(f"TensorFlow Lite cannot convert the {endpoint} signature: "
                          f"{why}") from err


@contextlib.contextmanager
def _unrolled(model: keras.Model):
    """Every recurrent layer of `model` traced unrolled (a chain of cell calls, where the
    time axis is static) rather than as a while loop: TensorFlow Lite then sees the
    weights as constants, which its quantiser can store as int8 and its fused kernels
    use, where a loop passes them in as loop variables that stay float."""
    layers = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.RNN)]
    before = [layer.unroll for layer in layers]
    for layer in layers:
        layer.unroll = True
    try:
        yield
    finally:
        for layer, unroll in zip(layers, before):
            layer.unroll = unroll
