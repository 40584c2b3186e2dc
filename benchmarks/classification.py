"""Sequence-classification benchmark: settings chosen by cross-validation on the official
training splits, then scored on the official test splits, once per seed.

    python -m benchmarks.classification --select [--folds 5] [--rnn-folds 5]
        [--data japanese_vowels basic_motions] [--models esn rnn]
    python -m benchmarks.classification [--preset quick] [--seeds 0 1 2]
        [--data japanese_vowels basic_motions] [--models rnn esn]
    python -m benchmarks.classification --archive [--problems ArrowHead ...]
        [--preset quick] [--seeds 0 1 2] [--models esn rnn]
    python -m benchmarks.classification --ablation [--problems ArrowHead ...]
    python -m benchmarks.classification --choose-model [--folds 5] [--problems ...]

Selection (`--select`) never opens a test file. `cross_validate` scores one setting by
stratified k-fold cross-validation on an embedded set's official training split: each
fold's model is trained on the other folds exactly as `seqsuite train` trains (its own
stratified validation part for early stopping, channel statistics of its own training
frames, the ESN's ridge and temperature chosen by leave-one-out on them) and predicts the
held-out fold, so every training sequence is predicted once, by a model that did not see
it. `select` runs a grid of settings over both embedded sets and picks the one with the
best mean cross-validated accuracy over the sets (ties: the lower mean log loss), one
setting for both, so that it is not fitted to either. The grids: for the ESN,
`time_constant` x `input_scaling` (ESN_GRID; reservoir size, spectral radius, pooling and
the rest at their defaults, the ridge chosen inside each fit); for the recurrent classifier, the quick preset's depth
and dropout (RNN_CANDIDATES); 5 folds each, model and fold seed 0. The suite's defaults
and its quick preset are the winners of the selection run recorded under 0.2 in
CHANGELOG.md.

Evaluation (the default) trains the suite's defaults for each embedded set, model and
seed on the official training split and scores them once on the official test split:
test accuracy and macro F1 of the recurrent classifier (rnn) or the echo state network
(esn), beside the 1-NN Euclidean and 1-NN DTW baselines fitted in the same run (those do
not depend on the seed or the model, so they are printed once per set). Anchor: Jaeger,
Lukoševičius, Popovici & Siewert (2007), "Optimization and applications of echo state
networks with leaky-integrator neurons", Neural Networks 20(3), report zero test errors
on Japanese Vowels (370 test utterances). Target: >= 98% test accuracy on Japanese Vowels
for both models.

Archive (`--archive`): every UCR/UEA problem the installed sktime ships (ARCHIVE: nine,
univariate and multivariate, equal and unequal length, 20 to 537 training sequences of 7
to 1,460 steps), read through the path a user has (`--set data=X_TRAIN.ts
test_data=X_TEST.ts`), the suite's defaults unchanged (one setting for every problem; no
choice is made on these problems), official splits, one run per model and seed; MiniRocket
(sktime; it depends on the seed), 1-NN DTW and 1-NN Euclidean fitted in the same runs.
Target (time-series issue): mean accuracy within 2 points of MiniRocket, and never below
1-NN DTW on any problem.

ESN ablation (`--ablation`): how the ESN's defaults were chosen, on training splits only.
For each design (ESN_DESIGNS, from the 0.2 defaults to today's, one change at a time) and
each ARCHIVE problem, the suite's own ESN is fitted on the training part of the official
training split as `seqsuite train` fits it (ridge and temperature by leave-one-out log
loss) and scored by its exact leave-one-out accuracy there; test files are never read.
The default is the design with the best mean over the problems, or one with fewer units
within ESN_TOLERANCE of it.

Default model (`--choose-model`): the suite's rnn and esn, each at its defaults (quick
preset), by stratified k-fold cross-validation (`cross_validate`) on the official training
splits of the archive problems short enough for the rnn to be cross-validated in minutes
(CHOICE_PROBLEMS); test files are never read. Each fold's training seconds are reported
beside, since the long recordings (OSULeaf, ACSF1, PLAID) are where they part most.

Writes benchmarks/results/classification.json (section "select" for the selection,
"ablation" for the ESN ablation, "choice" for the default model, "main" for the
evaluation, "archive" for the archive).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import record, scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# One BLAS thread: on a shared, oversubscribed 2-core machine two threads made a 500x500
# eigenvalue problem 50 times slower (8 s against 0.15 s).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

SUITE = "classification"
TARGET = {"japanese_vowels": 0.98}  # both models
BASELINES = ("1nn_euclidean", "1nn_dtw", "minirocket")
DATA = ("japanese_vowels", "basic_motions")
# The UCR/UEA problems the installed sktime ships as .ts files (see the module docstring).
ARCHIVE = ("ArrowHead", "GunPoint", "ItalyPowerDemand", "OSULeaf", "UnitTest", "ACSF1",
           "PLAID", "BasicMotions", "JapaneseVowels")
ARCHIVE_TARGET = 0.02  # mean accuracy at most this far below MiniRocket's
# The ESN ablation (see the module docstring): name -> config overrides.
def _design(**changes) -> dict:
    """The 0.2 ESN design with `changes`: the ablation's rows are written as differences."""
    return {"reservoir_units": 500, "timescales": 1, "views": "global", "input_scaling": 4.0,
            "pooling": "mean_last", **changes}


_RICH = {"timescales": 4, "input_scaling": 1.0, "pooling": "mean_max_min_ppv_std_last"}
ESN_DESIGNS = {
    "0.2 defaults: one slow reservoir, mean+last": _design(),
    "+ four time scales (leak 1 to the slowest)": _design(timescales=4),
    "+ input scaling 1": _design(timescales=4, input_scaling=1.0),
    "+ pooled max, min, ppv, std": _design(**_RICH),
    "+ 1000 units": _design(**_RICH, reservoir_units=1000),
    "z-normalised recordings only": _design(**_RICH, reservoir_units=1000, views="series"),
    "standardised and z-normalised views": _design(**_RICH, reservoir_units=1000,
                                                   views="global,series"),
    "two views, 2000 units": _design(**_RICH, reservoir_units=2000, views="global,series"),
    "+ first-difference view (1500 units)": _design(**_RICH, reservoir_units=1500,
                                                    views="global,series,difference"),
    "+ means over 3 parts of each sequence": _design(**_RICH, reservoir_units=1500,
                                                     views="global,series,difference",
                                                     segments=3),
}
CHOICE_PROBLEMS = ("ArrowHead", "GunPoint", "ItalyPowerDemand", "UnitTest", "BasicMotions",
                   "JapaneseVowels")
# The rule, fixed before the designs were compared: the best mean leave-one-out accuracy,
# except that a design with fewer units within this much of it is preferred (cheaper to
# fit and serve; the difference is about one training sequence in two hundred).
ESN_TOLERANCE = 0.005
# Selection grids (see the module docstring). Time constants are fractions of the median
# training length (Japanese Vowels 15 frames, BasicMotions 100 steps); input scalings
# the spread of each reservoir unit's input drive.
ESN_GRID = {"time_constant": (0.1, 0.2, 0.5, 1.0, 2.0, 4.0),
            "input_scaling": (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)}
RNN_CANDIDATES = ({"layers": 1, "dropout": 0.0}, {"layers": 1, "dropout": 0.3},
                  {"layers": 2, "dropout": 0.3})


def cross_validate(data: str, settings: dict, folds: int, seed: int = 0,
                   preset: str = "quick") -> dict:
    """Stratified `folds`-fold cross-validation of `settings` (config overrides) on the
    official training split of the embedded set `data`; its test split is never read.

    Returns `{"accuracy", "errors", "log_loss", "sequences", "seconds"}` over every
    training sequence, each predicted by the fold model that did not see it. A model
    fitted in closed form (the ESN) is built once: its reservoir depends only on the
    config, so each fold re-adapts its channel statistics and refits its readout, which
    is all its training does."""
    import keras
    import numpy as np

    from seqsuite import registry
    from seqsuite.shared.layers.encoders import recurrent_initialisation
    from seqsuite.shared.run import runner
    from seqsuite.shared.run.config import with_learned
    from seqsuite.shared.run.suite import fit_suite
    from seqsuite.suites.classification import data as suite_data
    from seqsuite.suites.classification.train import probabilities_of

    suite = registry.get("classification")
    overrides = {"data": data, "seed": seed, "verbose": 0, **settings}
    config = runner.resolve_config(suite, preset, [f"{k}={v}" for k, v in overrides.items()])
    train = suite_data.read_sequences(suite_data.embedded_file(data, "train"))
    classes = suite_data.class_order(train)
    labels = suite_data.encode(train, classes, "training data")
    probabilities = np.zeros((len(labels), len(classes)))
    closed_form = suite.closed_form.applies(config)
    built = {}  # repr(config with learned fields) -> a closed-form model
    start = time.perf_counter()
    for held in suite_data.stratified_folds(labels, folds, seed):
        kept = np.setdiff1d(np.arange(len(labels)), held)
        fold = suite_data.assemble(config, data, suite_data.subset(train, kept),
                                   suite_data.subset(train, held))
        fold_config = with_learned(config, fold.learned)
        model = built.get(repr(fold_config)) if closed_form else None
        if model is None:
            keras.utils.set_random_seed(fold_config.seed)
            with recurrent_initialisation(fold_config):
                model = suite.build_model(fold_config)
            if closed_form:
                built[repr(fold_config)] = model
        runner.adapt(model, fold)
        with tempfile.TemporaryDirectory() as run_dir:
            model = fit_suite(suite, model, fold, fold_config, Path(run_dir)).model
        probabilities[held] = probabilities_of(model, fold, "test")
    picked = probabilities[np.arange(len(labels)), labels]
    return {"accuracy": float(np.mean(probabilities.argmax(-1) == labels)),
            "errors": int(np.sum(probabilities.argmax(-1) != labels)),
            "log_loss": float(-np.mean(np.log(np.clip(picked, 1e-12, None)))),
            "sequences": len(labels), "seconds": time.perf_counter() - start}


def select(model: str, candidates: list[dict], datasets, folds: int, seed: int = 0):
    """Cross-validates every candidate on every set; returns the candidate with the best
    mean accuracy over the sets (ties: lower mean log loss) and the table of them all."""
    rows = []
    for settings in candidates:
        scores = {}
        for data in datasets:
            scores[data] = cross_validate(data, {"model": model, **settings}, folds, seed)
            print(f"  {model} {settings} {data}: CV accuracy {scores[data]['accuracy']:.4f} "
                  f"({scores[data]['seconds']:.0f} s)", flush=True)
        rows.append({
            "setting": ", ".join(f"{k}={v}" for k, v in settings.items()),
            **{f"{d}_accuracy": s["accuracy"] for d, s in scores.items()},
            **{f"{d}_errors": s["errors"] for d, s in scores.items()},
            "mean_accuracy": sum(s["accuracy"] for s in scores.values()) / len(scores),
            "mean_log_loss": sum(s["log_loss"] for s in scores.values()) / len(scores),
            "seconds": sum(s["seconds"] for s in scores.values()), "selected": ""})
        sequences = {d: s["sequences"] for d, s in scores.items()}
    best = max(range(len(rows)), key=lambda i: (rows[i]["mean_accuracy"],
                                                -rows[i]["mean_log_loss"]))
    rows[best]["selected"] = "**selected**"
    columns = [record.column("setting", "setting")]
    for d in datasets:
        columns += [record.column(f"{d}_accuracy", f"{d} CV accuracy", ".4f"),
                    record.column(f"{d}_errors", f"{d} errors (of {sequences[d]})")]
    columns += [record.column("mean_accuracy", "mean accuracy", ".4f"),
                record.column("mean_log_loss", "mean log loss", ".4f"),
                record.column("seconds", "s (one CV run)", ".0f"),
                record.column("selected", "")]
    print(f"\n{model} selected: {candidates[best]}\n", flush=True)
    table = record.table(
        f"{model}: stratified {folds}-fold cross-validation on the official training splits "
        f"(seed {seed}); test splits not read", columns, rows,
        notes=["Selected: the best mean accuracy over the sets (ties: the lower mean log "
               "loss)."])
    return candidates[best], table


def run_selection(args) -> int:
    prov = record.provenance(record.command_line("classification", args.argv), seeds=[0],
                             preset="quick", folds=args.folds, rnn_folds=args.rnn_folds,
                             data=args.data, models=args.models)
    start = time.perf_counter()
    tables, chosen = [], []
    if "esn" in args.models:
        grid = [dict(zip(ESN_GRID, values)) for values in itertools.product(*ESN_GRID.values())]
        best, table = select("esn", grid, args.data, args.folds)
        tables.append(table)
        chosen.append(record.headline("ESN selected", ", ".join(f"{k}={v}"
                                                                for k, v in best.items())))
    if "rnn" in args.models:
        best, table = select("rnn", list(RNN_CANDIDATES), args.data, args.rnn_folds)
        tables.append(table)
        chosen.append(record.headline("rnn selected", ", ".join(f"{k}={v}"
                                                                for k, v in best.items())))
    print(f"selection took {time.perf_counter() - start:.0f} s")
    record.write_result("classification", suite=SUITE, title=__doc__, provenance=prov,
                        section="select", section_title="Selection on the training splits",
                        tables=tables, headline=chosen)
    return 0


def run_evaluation(args) -> int:
    prov = record.provenance(record.command_line("classification", args.argv),
                             seeds=args.seeds, preset=args.preset, data=args.data,
                             models=args.models)
    rows, baselines = [], {}
    for data in args.data:
        for model in args.models:
            for seed in args.seeds:
                overrides = [f"data={data}", f"model={model}", f"seed={seed}"]
                with scratch_run("classification", args.preset, overrides) as (metrics, seconds, _):
                    fitted = metrics.get("fitted", {})
                    scores = metrics["test"][model]
                    baselines[data] = {name: metrics["test"][name] for name in BASELINES}
                target = TARGET.get(data)
                rows.append({
                    "data": data, "model": model, "seed": seed,
                    "accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"],
                    "errors": scores["errors"],
                    "target": None if target is None else scores["accuracy"] >= target,
                    "leak_rate": fitted.get("leak_rate"), "ridge": fitted.get("ridge"),
                    "temperature": fitted.get("temperature"), "seconds": seconds})
                print(f"{data} {model} seed {seed}: accuracy {scores['accuracy']:.4f} "
                      f"({seconds:.0f} s)", flush=True)
    targets = ", ".join(f"{d} >= {t:.0%}" for d, t in TARGET.items())
    evaluation = record.table(
        "Official test splits, the suite's defaults",
        [record.column("data", "data"), record.column("model", "model"),
         record.column("seed", "seed"), record.column("accuracy", "test accuracy", ".4f"),
         record.column("macro_f1", "macro F1", ".4f"), record.column("errors", "errors"),
         record.column("target", f"target ({targets})"),
         record.column("leak_rate", "fitted leak (ESN)", ".3g"),
         record.column("ridge", "fitted ridge (ESN)", ".3g"),
         record.column("temperature", "fitted T (ESN)", ".3g"),
         record.column("seconds", "train+eval s (one run)", ".0f")], rows)
    baseline_rows = [{"data": data, "baseline": name, "accuracy": row["accuracy"],
                      "macro_f1": row["macro_f1"], "errors": row["errors"]}
                     for data, scores in baselines.items() for name, row in scores.items()]
    baseline = record.table(
        "Baselines fitted in the same runs (independent of model and seed)",
        [record.column("data", "data"), record.column("baseline", "baseline"),
         record.column("accuracy", "test accuracy", ".4f"),
         record.column("macro_f1", "macro F1", ".4f"), record.column("errors", "errors")],
        baseline_rows)
    headline = []
    for data in TARGET:
        for model in args.models:
            scores = [r["accuracy"] for r in rows if r["data"] == data and r["model"] == model]
            if scores:
                headline.append(record.headline(f"{data} {model} test accuracy (median of "
                                                f"{len(scores)} seeds)",
                                                statistics.median(scores), ".4f"))
    record.write_result("classification", suite=SUITE, title=__doc__, provenance=prov,
                        section_title=f"Evaluation, preset {args.preset}",
                        tables=[evaluation, baseline], headline=headline)
    return 0


def esn_leave_one_out(problem: str, settings: dict, seed: int = 0) -> dict:
    """The suite's ESN with `settings` fitted on the training part of `problem`'s official
    training split, as `seqsuite train` fits it; its exact leave-one-out accuracy there
    (at the ridge the fit chose) and seconds. No test file is read."""
    import keras
    import numpy as np

    from seqsuite import registry
    from seqsuite.shared.run import runner
    from seqsuite.shared.run.config import with_learned
    from seqsuite.suites.classification import data as suite_data
    from seqsuite.suites.classification.train import _outputs, fit_esn, leave_one_out_scores

    suite = registry.get("classification")
    overrides = {"model": "esn", "seed": seed, "verbose": 0, **settings}
    config = runner.resolve_config(suite, "quick", [f"{k}={v}" for k, v in overrides.items()])
    train = suite_data.read_sequences(suite_data.embedded_file(problem, "train"))
    start = time.perf_counter()
    data = suite_data.assemble(config, problem, train, suite_data.subset(train, [0]))
    config = with_learned(config, data.learned)
    keras.utils.set_random_seed(seed)
    model = suite.build_model(config)
    runner.adapt(model, data)
    fit_esn(model, data, config)
    features = _outputs(model, "standardize", *data.arrays("train"))  # as the readout saw them
    labels = data.labels["train"]
    targets = np.eye(len(data.classes))[labels]
    scores = leave_one_out_scores(features, targets, model.get_layer("readout").ridge)
    return {"accuracy": float(np.mean(scores.argmax(-1) == labels)),
            "sequences": len(labels), "seconds": time.perf_counter() - start}


def run_ablation(args) -> int:
    prov = record.provenance(record.command_line("classification", args.argv), seeds=[0],
                             preset="quick", problems=args.problems)
    rows = []
    for design, settings in ESN_DESIGNS.items():
        row = {"design": design}
        for problem in args.problems:
            result = esn_leave_one_out(problem, settings)
            row[problem] = result["accuracy"]
            row[f"{problem}_seconds"] = result["seconds"]
        row["mean"] = statistics.fmean(row[p] for p in args.problems)
        row["seconds"] = sum(row[f"{p}_seconds"] for p in args.problems)
        print(f"{design}: mean leave-one-out accuracy {row['mean']:.4f} "
              f"({row['seconds']:.0f} s)", flush=True)
        rows.append(row)
    top = max(r["mean"] for r in rows)
    best = min((r for r in rows if r["mean"] >= top - ESN_TOLERANCE),
               key=lambda r: (ESN_DESIGNS[r["design"]]["reservoir_units"], -r["mean"]))
    for row in rows:
        row["chosen"] = "**chosen**" if row is best else ""
    table = record.table(
        "ESN designs: leave-one-out accuracy of the readout on the training part of each "
        "official training split (seed 0); test files not read",
        [record.column("design", "design"),
         *(record.column(p, p, ".3f") for p in args.problems),
         record.column("mean", "mean", ".3f"), record.column("seconds", "s (all problems)", ".0f"),
         record.column("chosen", "")], rows,
        notes=["Each row changes one thing from the rows above (views of the recordings, or "
               "size). Chosen: the best mean, or a design with fewer units within "
               f"{ESN_TOLERANCE} of it; the suite's defaults are the chosen row."])
    record.write_result("classification", suite=SUITE, title=__doc__, provenance=prov,
                        section="ablation", section_title="ESN ablation on the training splits",
                        tables=[table], headline=[record.headline("ESN design chosen",
                                                                  best["design"])])
    return 0


def run_model_choice(args) -> int:
    problems = args.problems if args.problems != list(ARCHIVE) else list(CHOICE_PROBLEMS)
    prov = record.provenance(record.command_line("classification", args.argv), seeds=[0],
                             preset="quick", folds=args.folds, problems=problems)
    rows = []
    for problem in problems:
        row = {"problem": problem}
        for model in ("rnn", "esn"):
            result = cross_validate(problem, {"model": model}, args.folds)
            row[model] = result["accuracy"]
            row[f"{model}_seconds"] = result["seconds"]
            print(f"{problem} {model}: CV accuracy {result['accuracy']:.4f} "
                  f"({result['seconds']:.0f} s)", flush=True)
        rows.append(row)
    mean = {"problem": "**mean**", **{k: statistics.fmean(r[k] for r in rows)
                                      for k in ("rnn", "esn")},
            "rnn_seconds": sum(r["rnn_seconds"] for r in rows),
            "esn_seconds": sum(r["esn_seconds"] for r in rows)}
    chosen = "esn" if mean["esn"] >= mean["rnn"] else "rnn"
    table = record.table(
        f"Stratified {args.folds}-fold cross-validation on the official training splits, "
        "each model at its defaults (quick preset, seed 0); test files not read",
        [record.column("problem", "problem"), record.column("rnn", "rnn CV accuracy", ".3f"),
         record.column("esn", "esn CV accuracy", ".3f"),
         record.column("rnn_seconds", "rnn s (all folds)", ".0f"),
         record.column("esn_seconds", "esn s (all folds)", ".0f")], [*rows, mean])
    record.write_result("classification", suite=SUITE, title=__doc__, provenance=prov,
                        section="choice", section_title="Default model, on the training splits",
                        tables=[table],
                        headline=[record.headline("default model by cross-validation", chosen)])
    return 0


def run_archive(args) -> int:
    from seqsuite.suites.classification.data import embedded_file

    prov = record.provenance(record.command_line("classification", args.argv),
                             seeds=args.seeds, preset=args.preset, problems=args.problems,
                             models=args.models)
    runs, problems = [], {}
    for problem in args.problems:
        files = [f"data={embedded_file(problem, 'train')}",
                 f"test_data={embedded_file(problem, 'test')}"]
        for model in args.models:
            for seed in args.seeds:
                overrides = [*files, f"model={model}", f"seed={seed}"]
                with scratch_run("classification", args.preset, overrides) as (metrics, seconds, _):
                    test, data = metrics["test"], metrics["data"]
                problems[problem] = {
                    "problem": problem, "classes": data["classes"], "channels": data["channels"],
                    "train": data["train"] + data["val"], "test": data["test"],
                    "length": data["length"], "1nn_dtw": test["1nn_dtw"]["accuracy"],
                    "1nn_euclidean": test["1nn_euclidean"]["accuracy"]}
                runs.append({"problem": problem, "model": model, "seed": seed,
                             "accuracy": test[model]["accuracy"],
                             "minirocket": test["minirocket"]["accuracy"], "seconds": seconds})
                print(f"{problem} {model} seed {seed}: accuracy {test[model]['accuracy']:.4f}, "
                      f"MiniRocket {test['minirocket']['accuracy']:.4f}, 1-NN DTW "
                      f"{test['1nn_dtw']['accuracy']:.4f} ({seconds:.0f} s)", flush=True)
    rows, headline = [], []
    for problem, facts in problems.items():
        minirocket = statistics.median(r["minirocket"] for r in runs if r["problem"] == problem)
        row = {**facts, "minirocket": minirocket}
        for model in args.models:
            mine = [r for r in runs if r["problem"] == problem and r["model"] == model]
            row[model] = record.mean_error([r["accuracy"] for r in mine])
            row[f"{model}_median"] = statistics.median(r["accuracy"] for r in mine)
            row[f"{model}_seconds"] = record.median_spread([r["seconds"] for r in mine])
            row[f"{model}_vs_dtw"] = "yes" if row[f"{model}_median"] >= facts["1nn_dtw"] else "**no**"
        rows.append(row)
    mean = {"problem": "**mean**", **{key: None for key in (
        "classes", "channels", "train", "test", "length", *args.models)}}
    for key in ("minirocket", "1nn_dtw", "1nn_euclidean",
                *(f"{m}_median" for m in args.models)):
        mean[key] = statistics.fmean(r[key] for r in rows)
    for model in args.models:
        gap = mean[f"{model}_median"] - mean["minirocket"]
        below = sum(r[f"{model}_vs_dtw"] != "yes" for r in rows)
        mean[f"{model}_vs_dtw"] = f"below on {below}"
        mean[f"{model}_seconds"] = None
        met = gap >= -ARCHIVE_TARGET and below == 0
        headline.append(record.headline(
            f"{model} mean accuracy over {len(rows)} problems (MiniRocket "
            f"{mean['minirocket']:.3f}, 1-NN DTW {mean['1nn_dtw']:.3f})",
            mean[f"{model}_median"], ".3f"))
        headline.append(record.headline(f"{model} target (within {ARCHIVE_TARGET:.0%} of "
                                        "MiniRocket, never below 1-NN DTW)",
                                        "met" if met else "MISSED"))
    columns = [record.column("problem", "problem"), record.column("classes", "classes"),
               record.column("channels", "channels"), record.column("train", "train"),
               record.column("test", "test"), record.column("length", "length")]
    for model in args.models:
        columns += [record.column(model, f"{model} (mean ± s.e. over seeds)", ".3f"),
                    record.column(f"{model}_median", f"{model} median", ".3f"),
                    record.column(f"{model}_vs_dtw", f"{model} ≥ 1-NN DTW")]
    columns += [record.column("minirocket", "MiniRocket (median)", ".3f"),
                record.column("1nn_dtw", "1-NN DTW", ".3f"),
                record.column("1nn_euclidean", "1-NN Euclidean", ".3f")]
    accuracy = record.table(
        f"Test accuracy on the official splits, preset {args.preset}, seeds "
        f"{', '.join(map(str, args.seeds))}", columns, [*rows, mean],
        notes=["MiniRocket: sktime's transform (10,000 features), unit-variance scaling and "
               "RidgeClassifierCV, fitted in each run with the run's seed."])
    timing = record.table(
        "Training and evaluation time of one run (2 cores; baselines included)",
        [record.column("problem", "problem"),
         *(record.column(f"{m}_seconds", f"{m} s", ".0f") for m in args.models)], rows)
    record.write_result("classification", suite=SUITE, title=__doc__, provenance=prov,
                        section="archive", section_title="UCR/UEA problems sktime ships",
                        tables=[accuracy, timing], headline=headline)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--select", action="store_true",
                        help="cross-validate the selection grids on the training splits only")
    parser.add_argument("--folds", type=int, default=5, help="ESN selection folds")
    parser.add_argument("--rnn-folds", type=int, default=5, help="rnn selection folds")
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data", nargs="+", default=list(DATA))
    parser.add_argument("--models", nargs="+", default=["rnn", "esn"])
    parser.add_argument("--archive", action="store_true",
                        help="the UCR/UEA problems sktime ships, beside MiniRocket and 1-NN DTW")
    parser.add_argument("--problems", nargs="+", default=list(ARCHIVE))
    parser.add_argument("--ablation", action="store_true",
                        help="the ESN designs by leave-one-out accuracy on the training splits")
    parser.add_argument("--choose-model", action="store_true",
                        help="rnn against esn by cross-validation on the training splits")
    args = parser.parse_args(argv)
    args.argv = argv
    if args.choose_model:
        return run_model_choice(args)
    if args.ablation:
        return run_ablation(args)
    if args.archive:
        return run_archive(args)
    return run_selection(args) if args.select else run_evaluation(args)


if __name__ == "__main__":
    raise SystemExit(main())
