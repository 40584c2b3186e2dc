"""`encoder=transformer|hybrid` in every suite with a sequence encoder (issue 25): each
builds its model on its smoke data and takes a training step; one suite trains, exports
and serves a Transformer end to end in a fresh process with plain TensorFlow; the suite
fields that cannot go with attention are refused in one line. The encoders themselves
(masks, causal attention, position limits) are tested in tests/shared/test_sequence_encoders.py.
"""

import json

import numpy as np
import pytest

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.errors import ConfigError

SUITES = ["sentiment", "tagging", "classification", "forecasting", "vision", "speech"]
# The cheapest settings each suite's smoke data allows: one step is all that is taken.
SMALL = {"sentiment": ["n_train=64", "max_examples=200"], "classification": ["model=rnn"],
         "tagging": [], "forecasting": [], "vision": [], "speech": []}


@pytest.mark.slow
@pytest.mark.parametrize("name,encoder", [(n, "transformer") for n in SUITES]
                         + [("tagging", "hybrid"), ("speech", "hybrid")])
def test_each_suite_builds_and_steps_with_attention(name, encoder):
    from seqsuite.shared.run.runner import prepare

    suite = registry.get(name)
    overrides = [f"encoder={encoder}", "heads=2", *SMALL[name]]
    if encoder == "hybrid" and name == "speech":
        overrides.append("hybrid_order=attention_first")
    data, config, model = prepare(suite, registry.resolve_config(name, "smoke", overrides))
    names = [layer.name for layer in model.layers]
    blocks = [n for n in names if type(model.get_layer(n)).__name__.startswith("Transformer")]
    assert blocks, names
    if encoder == "transformer":
        assert len(blocks) == config.layers * config.members if name == "forecasting" \
            else len(blocks) == config.layers
        assert not any(type(model.get_layer(n)).__name__ in ("LSTM", "GRU", "RNN",
                                                              "Bidirectional") for n in names)
    else:
        assert len(blocks) == 1
    inputs, targets = next(iter(data.train))[:2]
    model.run_eagerly = True  # one step: tracing it would cost more than running it
    assert np.all(np.isfinite(model.train_on_batch(inputs, targets)))


@pytest.mark.slow
def test_a_transformer_tagger_trains_exports_and_serves(smoke_run, plain_tensorflow):
    run = smoke_run("tagging", "encoder=transformer", "heads=2", "epochs=1")
    config = json.loads((run / "config.json").read_text())
    assert (config["encoder"], config["heads"]) == ("transformer", 2)
    test = json.loads((run / "metrics.json").read_text())["test"]
    assert test["crf"]["token_accuracy"] > test["most_frequent_tag"]["token_accuracy"], test
    script = f"""
import tensorflow as tf
served = tf.saved_model.load({str(run / "export")!r})
out = served.signatures["serving_default"](text=tf.constant(["def f(x): return x",
                                                             "import os"]))
tags = out["tags"].numpy()
assert tags.shape[0] == 2, tags.shape
print("served", [t.decode() for t in tags[1] if t])
"""
    proc = plain_tensorflow(script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "served" in proc.stdout


@pytest.mark.parametrize("name,overrides,message", [
    ("speech", ["streaming=true", "encoder=transformer"],
     "streaming=true needs encoder=rnn"),
    ("sentiment", ["encoder=hybrid", "encoder_from={tmp}"],
     "encoder_from starts a recurrent encoder from a language model"),
    ("forecasting", ["encoder=transformer", "positions=8", "window=24"],
     "the window of 24 steps is longer than the learned position embedding's positions=8; "
     "set --set positions=24"),
    ("tagging", ["encoder=transformer", "heads=3"], "heads=3 does not divide"),
    ("classification", ["encoder=hybrid", "hybrid_order=middle"],
     "unknown hybrid_order 'middle'"),
])
def test_fields_that_cannot_go_with_attention_are_refused(name, overrides, message, tmp_path):
    overrides = [o.format(tmp=tmp_path) for o in overrides]
    with pytest.raises(ConfigError, match=message):
        registry.resolve_config(name, "smoke", overrides)


def test_the_refusal_is_one_line_before_tensorflow_loads(capsys):
    assert main(["train", "tagging", "--set", "encoder=transformers"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["seqsuite: error: unknown encoder 'transformers'; use one of rnn, "
                   "transformer, hybrid"]
