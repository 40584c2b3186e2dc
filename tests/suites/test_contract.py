"""The suite contract, checked for every registered suite (as keras-hub's `run_task_test`).

A new suite gets this whole battery by registering itself: its `Suite` object is
well-formed, a smoke run trains, a re-evaluation goes to `RUN/evaluations/` and leaves
what training wrote alone, the SavedModel serves in a fresh process with plain
TensorFlow, every declared command parses, checks and resolves, and a damaged run
directory is answered with one line. The per-suite test files keep only what is
particular to their suite.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from seqsuite import registry
from seqsuite.cli import main
from seqsuite.shared.run.baselines import Baseline
from seqsuite.shared.run.commands import Command
from seqsuite.shared.run.suite import Suite

SUITES = registry.names()


def _digest(directory: Path) -> dict[str, str]:
    """{relative path: sha1} of every file training wrote (evaluations/ aside)."""
    return {str(p.relative_to(directory)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*"))
            if p.is_file() and "evaluations" not in p.relative_to(directory).parts
            and not p.name.endswith(".lock")}


TIMINGS = ("seconds", "real_time_factor", "_ms", "per_second", "latency")


def _assert_same_figures(again, trained, where="metrics"):
    """The same measures with the same values, timings aside (they vary run to run)."""
    if isinstance(trained, dict):
        assert isinstance(again, dict) and set(again) == set(trained), where
        for key in trained:
            if not any(t in key for t in TIMINGS):
                _assert_same_figures(again[key], trained[key], f"{where}.{key}")
    elif isinstance(trained, float):
        assert again == pytest.approx(trained, rel=1e-4, abs=1e-6), where
    else:
        assert again == trained, where


@pytest.mark.parametrize("name", SUITES)
def test_suite_object_is_complete(name):
    suite = registry.get(name)
    assert isinstance(suite, Suite) and suite.name == name
    assert {"smoke", "quick", "full"} <= set(suite.presets)
    assert suite.description.splitlines()[0] == registry.describe(name)
    config = registry.resolve_config(name, "smoke")
    names = [b.name for b in suite.baselines(config)]
    assert len(set(names)) == len(names)
    for baseline in suite.baselines(config):
        assert isinstance(baseline, Baseline)
    assert tuple(suite.commands) == registry.commands(name)
    for command in suite.commands:
        assert isinstance(command, Command)
        assert callable(command.function(f"seqsuite.suites.{name}")), command.run
    if suite.search_space is not None:
        import keras_tuner

        space = suite.search_space(keras_tuner.HyperParameters())
        fields = {f for f in config.__dataclass_fields__}
        assert set(space) <= fields, set(space) - fields


def _forbid_training(monkeypatch, suite: Suite, config):
    """Make every way a run trains raise: Keras fits, the suite's fit and calibration, and
    each of its baselines' `fit`."""
    import keras

    from seqsuite.shared.run import runner
    from seqsuite.shared.run import suite as suite_module

    def no_training(*args, **kwargs):
        raise AssertionError("seqsuite evaluate trained something")

    for owner, attribute in ((keras.Model, "fit"), (keras.Model, "train_on_batch"),
                             (runner, "fit_suite"), (runner, "fit_and_save"),
                             (suite_module, "fit_suite")):
        monkeypatch.setattr(owner, attribute, no_training)
    for baseline in suite.baselines(config):
        monkeypatch.setattr(type(baseline), "fit", no_training)


@pytest.mark.slow
@pytest.mark.parametrize("name", SUITES)
def test_train_evaluate_export_serve(name, smoke_run, plain_tensorflow, tmp_path, monkeypatch):
    run = smoke_run(name)
    for file in ("run.json", "config.json", "learned.json", "model.keras", "metrics.json",
                 "export/saved_model.pb"):
        assert (run / file).is_file(), file
    assert json.loads((run / "run.json").read_text())["suite"] == name
    before = _digest(run)

    # A re-evaluation trains nothing (its baselines come from their saved files), writes its
    # own folder, gives the figures training reported and changes nothing training wrote.
    _forbid_training(monkeypatch, registry.get(name), registry.resolve_config(name, "smoke"))
    assert main(["evaluate", "--run", str(run), "--name", f"contract-{tmp_path.name}"]) == 0
    where = run / "evaluations" / f"contract-{tmp_path.name}"
    _assert_same_figures(json.loads((where / "metrics.json").read_text()),
                         json.loads((run / "metrics.json").read_text()))
    assert _digest(run) == before

    # The export training wrote (the `export` command's own path is tested in
    # test_files.py) serves with plain TensorFlow, nothing of seqsuite loaded, on dummy raw
    # inputs.
    exported = run / "export"
    script = f"""
import numpy as np, tensorflow as tf
served = tf.saved_model.load({str(exported)!r})
for name, fn in served.signatures.items():
    inputs = {{}}
    for key, spec in fn.structured_input_signature[1].items():
        shape = [2 if i == 0 else (d if d is not None else 12)
                 for i, d in enumerate(spec.shape.as_list())]
        if spec.dtype == tf.string:
            inputs[key] = tf.constant(np.full(shape, "a b c", dtype=object))
        elif spec.dtype.is_integer:
            # 2 for scalars too: a streaming model's `batch_size` gives a batch of 2
            inputs[key] = tf.fill(shape, tf.constant(2 if not shape else 6, spec.dtype))
        else:
            inputs[key] = tf.random.stateless_normal(shape, [1, 2], dtype=spec.dtype)
    out = fn(**inputs)
    assert out and all(v.shape[0] == 2 for v in out.values()), (name, out)
print("served", sorted(served.signatures))
"""
    proc = plain_tensorflow(script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "serving_default" in proc.stdout


@pytest.mark.parametrize("name", [n for n in SUITES if registry.commands(n)])
def test_declared_commands_parse_and_check(name, tmp_path):
    for command in registry.commands(name):
        parser = command.parser(f"seqsuite {command.name}")
        assert isinstance(parser, argparse.ArgumentParser)
        argv = ["--run", str(tmp_path)]
        for argument in command.arguments:
            if argument.positional:
                argv.append("x")
        args = command.parse(argv, f"seqsuite {command.name}")
        for argument in command.arguments:
            value = getattr(args, argument.dest)
            if not argument.positional:
                assert value == argument.default
            for bad in ([argument.minimum - 1] if argument.minimum is not None else []) + \
                    ([argument.above] if argument.above is not None else []):
                with pytest.raises(Exception, match=argument.name):
                    argument.check(argument.type(bad))


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated model.keras", "missing config.json",
                                    "damaged run.json", "half-written export",
                                    "disk full during export"])
def test_a_damaged_run_gets_one_line(damage, smoke_run, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(smoke_run("memory"), run)
    if damage == "truncated model.keras":
        data = (run / "model.keras").read_bytes()
        (run / "model.keras").write_bytes(data[: len(data) // 2])
        argv = ["evaluate", "--run", str(run)]
    elif damage == "missing config.json":
        (run / "config.json").unlink()
        argv = ["evaluate", "--run", str(run)]
    elif damage == "damaged run.json":
        (run / "run.json").write_text('{"suite": ')
        argv = ["export", "--run", str(run)]
    elif damage == "half-written export":
        (run / "export" / "saved_model.pb").unlink()
        argv = ["export", "--run", str(run)]
    else:
        from seqsuite.shared.run import export as export_module

        def full_disk(model, path, serving):
            (Path(path) / "saved_model.pb").write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

        monkeypatch.setattr(export_module, "export_saved_model", full_disk)
        argv = ["export", "--run", str(run), "--overwrite"]
    before = _digest(run)
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("seqsuite: error:"), err
    assert "Traceback" not in "\n".join(err)
    if damage != "disk full during export":
        file = damage.split()[-1]
        assert file in err[0] or "export" in err[0], err[0]
    assert _digest(run) == before  # nothing was written, the previous export is intact
    assert not any(p.name.endswith("seqsuite-new") for p in run.iterdir())

