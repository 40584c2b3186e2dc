"""Forecasting benchmarks: the competitions, backtest coverage, single short series.

    python -m benchmarks.forecasting [m3] [--preset quick] [--set key=value ...]
    python -m benchmarks.forecasting tourism [--preset quick] [--set key=value ...]
    python -m benchmarks.forecasting backtest [--preset quick]      (CO2 and sunspots)
    python -m benchmarks.forecasting single --global-run RUN [--series 20]
    python -m benchmarks.forecasting choose [--collection m3] [--seeds 0 1 2]

m3 / tourism: one global model per run (`subset=all` for M3: every frequency,
with the frequency as a static input), scored on the official held-out parts
beside seasonal naive, Naive2, ETS and Theta (statsforecast) fitted in the
same run on the same series. Published anchors for M3 (sMAPE over all 3003
series): Theta 13.01 (Makridakis & Hibon 2000), N-BEATS 12.37 (Oreshkin et al.
2020). Target: the model below Theta measured in the same run.

backtest: trains on CO2 and sunspots (with `task=anomaly`), then rolling-origin
forecasts from the last origins; targets: 80% and 95% interval coverage within
5 points of nominal; anomaly-detection F1 >= 0.8 on injected spikes and shifts.

choose: the validation protocol. Each of DESIGNS is trained and scored on the
validation part of every series (the last horizon of its training part); the design
with the lowest validation sMAPE is trained with two more seeds, and only then is the
held-out part read: median and range of three seeds beside Theta and ETS.

single: M1 monthly series, one at a time, as a user with one short series
would have them: the single-series model trained on that series alone, the
global model of an M3 monthly run (`--global-run`, trained on other series)
applied without retraining, their average with Theta, and ETS/Theta.

Without arguments it runs `m3`, one run with the settings of the runs recorded under 0.2 in
CHANGELOG.md (MEASURED_SETS: batch 256, 30 epochs, patience 5, 64 units, 3 members); `m3`,
`tourism` and `choose` start from those settings (`--set` replaces them for `m3` and
`tourism`). The main measurement since 0.3 is `choose` (`make bench` runs it). Each part
writes its own section of benchmarks/results/forecasting.json (m3_choice, m3, tourism, m1,
backtest, single).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np

from benchmarks import record, scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "forecasting"
COLUMNS = ("smape", "mase", "owa", "coverage_80", "coverage_95", "msis_95")
LABELS = {"smape": "sMAPE", "mase": "MASE", "owa": "OWA", "coverage_80": "80% coverage",
          "coverage_95": "95% coverage", "msis_95": "MSIS 95%"}
ROWS = ("model", "combined", "model+theta", "theta", "ets", "naive2", "seasonal_naive")
# Designs compared on M3's validation part (the last horizon of each official training
# part, never a training target): each is MEASURED_SETS["m3"] changed as it says. The
# official held-out part is read once, for the design with the lowest validation sMAPE.
DESIGNS = {
    "0.2 design: skip path, 3 members, mean": [],
    "without the skip path": ["skip=false"],
    "one member": ["members=1"],
    "3 members over lookbacks 1/3, 2/3, 1 of the window, median": [
        "lookbacks=0.34,0.67,1", "combine=median"],
    "5 members over lookbacks 0.2-1 of the window, median": [
        "members=5", "lookbacks=0.2,0.4,0.6,0.8,1", "combine=median"],
    "origins in the last 10 horizons of each series only (N-BEATS's L_H)": ["history=10"],
}
# The settings of the runs recorded under 0.2 (CHANGELOG.md); `--set` replaces them.
MEASURED_SETS = {"m3": ["batch_size=256", "epochs=30", "patience=5", "units=64", "members=3"],
                 "tourism": ["batch_size=128", "epochs=40", "patience=6", "units=64",
                             "members=3"]}


def _write(section: str, prov: dict, tables: list, title: str, headline=()) -> None:
    record.write_result("forecasting", suite=SUITE, title=__doc__, provenance=prov,
                        section=section, section_title=title, tables=tables,
                        headline=headline)


def competition(name: str, preset: str, overrides: list[str], prov: dict) -> int:
    sets = ["data=" + name, *overrides]
    with scratch_run("forecasting", preset, sets) as (metrics, seconds, run):
        parts = ["test", *sorted(k for k in metrics if k.startswith("test_"))]
        model, theta = metrics["test"]["model"], metrics["test"]["theta"]
        fit = json.loads((run / "run.json").read_text())["fit_seconds"]
    rows = []
    for part in parts:
        for forecaster in ROWS:
            scores = metrics.get(part, {}).get(forecaster)
            if scores is not None:
                rows.append({"part": "all" if part == "test" else part.removeprefix("test_"),
                             "forecaster": forecaster,
                             **{c: scores.get(c) for c in COLUMNS}})
    scores = record.table(
        f"{name}: official held-out parts",
        [record.column("part", "part"), record.column("forecaster", "forecaster"),
         *(record.column(c, LABELS[c], ".3f") for c in COLUMNS)], rows,
        notes=["sMAPE pooled over all forecast steps; model+theta is the mean of the "
               "network's and Theta's point forecasts."])
    summary = record.table(
        "Target: the model below Theta in the same run",
        [record.column("model_smape", "model sMAPE", ".2f"),
         record.column("theta_smape", "Theta sMAPE", ".2f"),
         record.column("below_theta", "below Theta"),
         record.column("model_mase", "model MASE", ".3f"),
         record.column("theta_mase", "Theta MASE", ".3f"),
         record.column("fit_s", "training s (one run)", ".0f"),
         record.column("seconds", "whole run s (one run)", ".0f")],
        [{"model_smape": model["smape"], "theta_smape": theta["smape"],
          "below_theta": model["smape"] < theta["smape"], "model_mase": model["mase"],
          "theta_mase": theta["mase"], "fit_s": fit, "seconds": seconds}],
        notes=["The whole run: data, baselines, evaluation and export."])
    hybrid = metrics["test"].get("model+theta", {})
    title = f"{name}, preset {preset}" + (f", --set {' '.join(overrides)}" if overrides else "")
    _write(name, prov, [scores, summary], title,
           [record.headline(f"{name} model sMAPE", model["smape"], ".2f"),
            record.headline("Theta", theta["smape"], ".2f"),
            record.headline("model+theta", hybrid.get("smape"), ".2f"),
            record.headline("model MASE", model["mase"], ".3f")])
    return 0


def _changed(base: list[str], changes: list[str]) -> list[str]:
    keys = {c.split("=", 1)[0] for c in changes}
    return [b for b in base if b.split("=", 1)[0] not in keys] + changes


def choose(name: str, preset: str, seeds: list[int], prov: dict) -> int:
    """Every DESIGNS entry trained once (the first seed), compared on validation; the
    one with the lowest validation sMAPE trained with the other seeds too, and only
    its test figures read: median and range over the seeds."""
    base = MEASURED_SETS[name]
    rows, runs = [], {}
    for design, changes in DESIGNS.items():
        sets = ["data=" + name, *_changed(base, changes), f"seed={seeds[0]}"]
        with scratch_run("forecasting", preset, sets) as (metrics, seconds, run):
            fit = json.loads((run / "run.json").read_text())["fit_seconds"]
        val = metrics["validation"]
        rows.append({"design": design, "sets": " ".join(changes) or "(none)",
                     "val_smape": val["model"]["smape"], "val_mase": val["model"]["mase"],
                     "theta_smape": val["theta"]["smape"], "fit_s": fit})
        runs[design] = (sets, metrics)
        print(f"  {design}: validation sMAPE {val['model']['smape']:.3f} (Theta "
              f"{val['theta']['smape']:.3f}), {fit:.0f} s", flush=True)
    best = min(rows, key=lambda r: r["val_smape"])
    for r in rows:
        r["chosen"] = "chosen" if r is best else ""
    choice = record.table(
        f"{name}: designs compared on the validation part (seed {seeds[0]})",
        [record.column("design", "design"), record.column("sets", "changes to the 0.2 design"),
         record.column("val_smape", "validation sMAPE", ".3f"),
         record.column("val_mase", "validation MASE", ".3f"),
         record.column("theta_smape", "Theta validation sMAPE", ".3f"),
         record.column("fit_s", "training s", ".0f"), record.column("chosen", "chosen")], rows,
        notes=["Validation: each series' last horizon of its official training part, fitted "
               "on what precedes it; the official held-out part is not read for the choice."])
    sets, first = runs[best["design"]]
    per_seed = [(seeds[0], first)]
    for seed in seeds[1:]:
        with scratch_run("forecasting", preset, [*sets[:-1], f"seed={seed}"]) as (m, _, _):
            per_seed.append((seed, m))
    seed_rows = []
    for seed, metrics in per_seed:
        for forecaster in ROWS:
            scores = metrics["test"].get(forecaster)
            if scores is not None:
                seed_rows.append({"seed": seed, "forecaster": forecaster,
                                  **{c: scores.get(c) for c in COLUMNS}})
    summary = []
    for forecaster in ROWS:
        values = [r["smape"] for r in seed_rows if r["forecaster"] == forecaster]
        mases = [r["mase"] for r in seed_rows if r["forecaster"] == forecaster]
        if values:
            summary.append({"forecaster": forecaster, "smape": float(np.median(values)),
                            "smape_range": f"{min(values):.2f}-{max(values):.2f}",
                            "mase": float(np.median(mases))})
    theta = next(r["smape"] for r in summary if r["forecaster"] == "theta")
    model = next(r for r in summary if r["forecaster"] == "model")
    tables = [choice, record.table(
        f"{name}: the chosen design on the official held-out part, {len(seeds)} seeds",
        [record.column("forecaster", "forecaster"),
         record.column("smape", "sMAPE (median)", ".2f"),
         record.column("smape_range", "range over seeds"),
         record.column("mase", "MASE (median)", ".3f")], summary,
        notes=[f"Target: the network alone below Theta measured in the same runs "
               f"({'PASS' if model['smape'] < theta else 'MISS'}); published: Theta 13.01 "
               "(Makridakis & Hibon 2000), N-BEATS 12.37 (Oreshkin et al. 2020). `combined` "
               "weights the network and Theta per frequency as each run's validation chose."]),
        record.table(f"{name}: every seed", [record.column("seed", "seed"),
                                             record.column("forecaster", "forecaster"),
                                             *(record.column(c, LABELS[c], ".3f")
                                               for c in COLUMNS)], seed_rows)]
    _write(f"{name}_choice", prov, tables, f"{name}: designs chosen on validation, preset {preset}",
           [record.headline(f"{name} model sMAPE (median of {len(seeds)} seeds)",
                            model["smape"], ".2f"),
            record.headline("Theta", theta, ".2f"),
            record.headline("chosen", best["design"])])
    return 0


def backtest(preset: str, overrides: list[str], prov: dict) -> int:
    from seqsuite import registry
    from seqsuite.shared.run.runner import load_run
    from seqsuite.suites.forecasting.train import backtest as run_backtest

    rows = []
    for series, origins in (("co2", 40), ("sunspots", 20)):
        sets = [f"data={series}", "baselines=naive2", "task=anomaly", *overrides]
        with scratch_run("forecasting", preset, sets) as (metrics, _, run):
            config, model = load_run(registry.get("forecasting"), run)
            run_backtest(model, config, str(run), origins=origins, stride=1)
            result = json.loads((run / "backtest" / "metrics.json").read_text())
        row = result["backtest"]["model"]
        ok = abs(row["coverage_80"] - 0.8) <= 0.05 and abs(row["coverage_95"] - 0.95) <= 0.05
        rows.append({"series": series, "origins": origins, "stride": 1,
                     "forecasts": result["setup"]["forecasts"], "model_mase": row["mase"],
                     "naive2_mase": result["backtest"]["naive2"]["mase"],
                     "coverage_80": row["coverage_80"], "coverage_95": row["coverage_95"],
                     "within": ok, "f1": metrics["anomaly"]["f1"],
                     "f1_target": metrics["anomaly"]["f1"] >= 0.8})
    table = record.table(
        "Rolling-origin backtest and anomaly detection",
        [record.column("series", "series"), record.column("origins", "origins"),
         record.column("stride", "stride"), record.column("forecasts", "forecasts"),
         record.column("model_mase", "model MASE", ".3f"),
         record.column("naive2_mase", "Naive2 MASE", ".3f"),
         record.column("coverage_80", "coverage 80%", ".3f"),
         record.column("coverage_95", "coverage 95%", ".3f"),
         record.column("within", "within 5 points"), record.column("f1", "anomaly F1", ".3f"),
         record.column("f1_target", "F1 >= 0.8")], rows)
    _write("backtest", prov, [table], f"backtest, preset {preset}",
           [record.headline(f"{r['series']} 80% coverage", r["coverage_80"], ".3f")
            for r in rows])
    return 0


def single(preset: str, overrides: list[str], global_run: str, count: int, seed: int,
           prov: dict) -> int:
    """Short real series one at a time (see the module docstring)."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    from seqsuite import registry
    from seqsuite.shared.evaluation.metrics import mase_scales, smape
    from seqsuite.shared.run.runner import Run, load_run
    from seqsuite.suites.forecasting.collections import load_competition
    from seqsuite.suites.forecasting.data import make_windows
    from seqsuite.suites.forecasting.model import predict

    suite = registry.get("forecasting")
    pool = load_competition("m1", "monthly")
    rng = np.random.default_rng(seed)
    picked = [pool[i] for i in sorted(rng.choice(len(pool), size=count, replace=False))]
    gconfig, gmodel = load_run(suite, global_run)
    if gconfig.horizon != 18 or gconfig.kinds != ["monthly"]:
        raise SystemExit("--global-run must be an M3 monthly run (subset=monthly)")
    # The global run's own combination with Theta, chosen on its validation part.
    share = json.loads((Path(global_run) / "metrics.json").read_text()).get(
        "combination", {}).get("model_weight", {}).get("monthly", 0.5)
    rows = {k: [] for k in ("single", "global", "single+theta", "global+theta",
                            "global combined", "ets", "theta")}
    truth, scales = [], []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, s in enumerate(picked):
            history, test = s.values[: s.n_train], s.values[s.n_train :]
            path = Path(tmp) / f"{s.id}.csv"
            pd.DataFrame({"id": s.id, "t": np.arange(len(s.values)),
                          "y": s.values}).to_csv(path, index=False)
            sets = [f"data={path}", "id_column=id", "time_column=t", "target=y", "horizon=18",
                    "season=12", "window=36", "min_context=3", "baselines=ets,theta",
                    *overrides]
            with scratch_run("forecasting", preset, sets) as (_, _, run):
                fitted = Run(run, suite)
                config, model = fitted.config, fitted.model
                base = fitted.baselines()["statistical"].forecasts
                windows = make_windows([s], [0], [s.n_train], config)
                own = predict(model, windows.inputs, config)["forecast"][0]
            one = dataclasses.replace(gconfig, data="m1", subset="monthly")
            windows = make_windows([s], [0], [s.n_train], one)
            zero_shot = predict(gmodel, windows.inputs, one)["forecast"][0]
            theta, ets = base["theta"]["point"][0], base["ets"]["point"][0]
            for key, f in (("single", own), ("global", zero_shot),
                           ("single+theta", (own + theta) / 2),
                           ("global+theta", (zero_shot + theta) / 2),
                           ("global combined", share * zero_shot + (1 - share) * theta),
                           ("ets", ets),
                           ("theta", theta)):
                rows[key].append(f[: len(test)])
            truth.append(test)
            scales.append(mase_scales([history], 12)[0])
            print(f"  {i + 1}/{count} {s.id} ({len(history)} points)", flush=True)
    y = np.array(truth)
    seconds = time.perf_counter() - start
    per = {k: np.array([smape(y[j : j + 1], np.array(v)[j : j + 1]) for j in range(len(y))])
           for k, v in rows.items()}
    table_rows = []
    for key, forecasts in rows.items():
        f = np.array(forecasts)
        table_rows.append({
            "forecaster": key, "smape": smape(y, f),
            "mase": float(np.mean(np.mean(np.abs(y - f), axis=1) / np.array(scales))),
            "beats_ets": None if key == "ets" else int(np.sum(per[key] < per["ets"])),
            "beats_theta": None if key == "theta" else int(np.sum(per[key] < per["theta"]))})
    table = record.table(
        f"{count} M1 monthly series (seed {seed}), horizon 18",
        [record.column("forecaster", "forecaster"), record.column("smape", "sMAPE", ".2f"),
         record.column("mase", "MASE", ".3f"),
         record.column("beats_ets", f"series where it beats ETS (sMAPE, of {count})"),
         record.column("beats_theta", f"beats Theta (of {count})")], table_rows,
        notes=[f"{seconds:.0f} s in all (one run); global run: {global_run}; 'global "
               f"combined' weights it {share:.2f} against Theta's {1 - share:.2f}, the share "
               "its own validation part chose."])
    by_key = {r["forecaster"]: r for r in table_rows}
    _write("single", prov, [table], f"single short series, preset {preset}",
           [record.headline("one series: global combined MASE",
                            by_key["global combined"]["mase"], ".3f"),
            record.headline("global+theta", by_key["global+theta"]["mase"], ".3f"),
            record.headline("ETS", by_key["ets"]["mase"], ".3f")])
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="m3",
                        choices=["m3", "tourism", "m1", "backtest", "single", "choose"],
                        help="what to measure (default: m3, the main measurement)")
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--set", dest="overrides", nargs="+", default=None,
                        help="config overrides (m3, tourism: replace MEASURED_SETS)")
    parser.add_argument("--global-run", default=None, help="single: an M3 monthly run")
    parser.add_argument("--series", type=int, default=20, help="single: how many series")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="choose: seeds of the chosen design (the first trains every design)")
    parser.add_argument("--collection", default="m3", choices=sorted(MEASURED_SETS),
                        help="choose: the collection")
    args = parser.parse_args(argv)
    overrides = args.overrides
    if overrides is None:
        overrides = MEASURED_SETS.get(args.what, [])
    if args.what == "single" and args.global_run is None:
        parser.error("single needs --global-run (an M3 monthly run directory)")
    if args.what == "single":
        seeds = [args.seed]
    elif args.what == "choose":
        seeds = args.seeds
    else:  # the runs' own seed: the preset's, unless --set says otherwise
        from seqsuite import registry

        seeds = [registry.resolve_config("forecasting", args.preset, overrides).seed]
    prov = record.provenance(record.command_line("forecasting", argv), seeds=seeds,
                             preset=args.preset, what=args.what, overrides=overrides)
    if args.what in ("m3", "tourism", "m1"):
        return competition(args.what, args.preset, overrides, prov)
    if args.what == "backtest":
        return backtest(args.preset, overrides, prov)
    if args.what == "choose":
        return choose(args.collection, args.preset, args.seeds, prov)
    return single(args.preset, overrides, args.global_run, args.series, args.seed, prov)


if __name__ == "__main__":
    raise SystemExit(main())
