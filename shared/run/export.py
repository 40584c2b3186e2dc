"""SavedModel export with a serving signature on raw inputs.

Each suite's `model.serving(model, config)` returns a TensorFlow function and
its input signature that take what a user has (unscaled numbers, strings) and
return what a user wants (original units, decoded text). The SavedModel loads
with plain `tf.saved_model.load`; no seqsuite import is needed to serve it.
"""

from __future__ import annotations

from pathlib import Path

import keras


def export_saved_model(model: keras.Model, path: Path, fn, input_signature, track=(),
                       endpoints=None) -> Path:
    """Write `fn` as the `serve` (and `serving_default`) endpoint of a SavedModel.

    `track` lists further layers `fn` uses that are not part of `model` (such as
    a lookup table built for serving), so their resources are saved too.
    `endpoints` maps further signature names to `(fn, input_signature)` (a
    suite's `serving` may return it fourth, e.g. a waveform signature beside
    one taking WAV files).

    `path` is a fresh directory: `shared.run.runner.export` writes it beside its
    target and moves it into place (`shared.run.files.replacing`), so a failed export
    never leaves a half-written SavedModel where a server would look.
    """
    from keras.export import ExportArchive

    archive = ExportArchive()
    archive.track(model)
    for layer in track:
        archive.track(layer)
    archive.add_endpoint(name="serve", fn=fn, input_signature=input_signature)
    for name, (extra_fn, extra_signature) in (endpoints or {}).items():
        archive.add_endpoint(name=name, fn=extra_fn, input_signature=extra_signature)
    archive.write_out(str(path), verbose=False)
    return Path(path)
