"""SavedModel export with a serving signature on raw inputs.

Each suite's `model.serving(model, config)` returns a `shared.run.suite.Serving`: a
TensorFlow function and its input signature that take what a user has (unscaled numbers,
strings, bytes) and return what a user wants (original units, decoded text), with any
further signatures. The SavedModel loads with plain `tf.saved_model.load`; no seqsuite
import is needed to serve it.
"""

from __future__ import annotations

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
