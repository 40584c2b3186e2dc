"""Forecasting benchmarks: the competitions, backtest coverage, single short series.

    python -m benchmarks.forecasting m3 [--preset quick] [--set key=value ...]
    python -m benchmarks.forecasting tourism [--preset quick]
    python -m benchmarks.forecasting backtest [--preset quick]      (CO2 and sunspots)
    python -m benchmarks.forecasting single --global-run RUN [--series 20]

m3 / tourism: one global model per run (`subset=all` for M3: every frequency,
with the frequency as a static input), scored on the official held-out parts
beside seasonal naive, Naive2, ETS and Theta (statsforecast) fitted in the
same run on the same series. Published anchors for M3 (sMAPE over all 3003
series): Theta 13.01 (Makridakis & Hibon 2000), N-BEATS 12.37 (Oreshkin et al.
2020). Target: the model below Theta measured in the same run.

backtest: trains on CO2 and sunspots (with `task=anomaly`), then rolling-origin
forecasts from the last origins; targets: 80% and 95% interval coverage within
5 points of nominal; anomaly-detection F1 >= 0.8 on injected spikes and shifts.

single: M1 monthly series, one at a time, as a user with one short series
would have them: the single-series model trained on that series alone, the
global model of an M3 monthly run (`--global-run`, trained on other series)
applied without retraining, their average with Theta, and ETS/Theta.

Prints markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np

from benchmarks import scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
COLUMNS = ("smape", "mase", "owa", "coverage_80", "coverage_95", "msis_95")


ROWS = ("model", "model+theta", "theta", "ets", "naive2", "seasonal_naive")


def _table(metrics: dict, sections: list[str], rows=ROWS) -> list[str]:
    lines = ["| part | forecaster | " + " | ".join(COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for section in sections:
        for row in rows:
            scores = metrics.get(section, {}).get(row)
            if scores is None:
                continue
            cells = [f"{scores[c]:.3f}" if c in scores else "" for c in COLUMNS]
            lines.append(f"| {section} | {row} | " + " | ".join(cells) + " |")
    return lines


def competition(name: str, preset: str, overrides: list[str]) -> int:
    sets = ["data=" + name, *overrides]
    with scratch_run("forecasting", preset, sets) as (metrics, seconds, run):
        sections = ["test", *sorted(k for k in metrics if k.startswith("test_"))]
        model, theta = metrics["test"]["model"], metrics["test"]["theta"]
        fit = json.loads((run / "run.json").read_text())["fit_seconds"]
    print(f"\nforecasting benchmark: {name}, preset={preset}, overrides={overrides}\n")
    print("\n".join(_table(metrics, sections)))
    print(f"\nmodel sMAPE {model['smape']:.2f} vs Theta {theta['smape']:.2f} "
          f"({'PASS' if model['smape'] < theta['smape'] else 'MISS'}: below Theta); "
          f"MASE {model['mase']:.3f} vs {theta['mase']:.3f}; "
          f"training {fit:.0f} s, whole run (data, baselines, evaluation, export) {seconds:.0f} s")
    return 0


def backtest(preset: str, overrides: list[str]) -> int:
    from seqsuite import registry
    from seqsuite.shared.run.runner import load_run
    from seqsuite.suites.forecasting.train import backtest as run_backtest

    print(f"\nforecasting backtest, preset={preset}\n")
    print("| series | origins x stride | forecasts | model MASE | Naive2 MASE | coverage 80% | "
          "coverage 95% | within 5 points | anomaly F1 (target 0.8) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for series, origins in (("co2", 40), ("sunspots", 20)):
        sets = [f"data={series}", "baselines=naive2", "task=anomaly", *overrides]
        with scratch_run("forecasting", preset, sets) as (metrics, _, run):
            config, model = load_run(registry.get("forecasting"), run)
            run_backtest(model, config, str(run), origins=origins, stride=1)
            result = json.loads((run / "backtest" / "metrics.json").read_text())
        row = result["backtest"]["model"]
        ok = abs(row["coverage_80"] - 0.8) <= 0.05 and abs(row["coverage_95"] - 0.95) <= 0.05
        print(f"| {series} | {origins} x 1 | {result['setup']['forecasts']} | {row['mase']:.3f} | "
              f"{result['backtest']['naive2']['mase']:.3f} | {row['coverage_80']:.3f} | "
              f"{row['coverage_95']:.3f} | {'PASS' if ok else 'MISS'} | "
              f"{metrics['anomaly']['f1']:.3f} |")
    return 0


def single(preset: str, overrides: list[str], global_run: str, count: int, seed: int) -> int:
    """Short real series one at a time (see the module docstring)."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    from seqsuite import registry
    from seqsuite.shared.evaluation.metrics import mase_scales, smape
    from seqsuite.shared.run.runner import load_run
    from seqsuite.suites.forecasting.baselines import load_baselines
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
    rows = {k: [] for k in ("single", "global", "single+theta", "global+theta", "ets",
                            "theta")}
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
                config, model = load_run(suite, run)
                base = load_baselines(run / "baselines")
                windows = make_windows([s], [0], [s.n_train], config)
                own = predict(model, windows.inputs, config)["forecast"][0]
            one = dataclasses.replace(gconfig, data="m1", subset="monthly")
            windows = make_windows([s], [0], [s.n_train], one)
            zero_shot = predict(gmodel, windows.inputs, one)["forecast"][0]
            theta, ets = base["theta"]["point"][0], base["ets"]["point"][0]
            for key, f in (("single", own), ("global", zero_shot),
                           ("single+theta", (own + theta) / 2),
                           ("global+theta", (zero_shot + theta) / 2), ("ets", ets),
                           ("theta", theta)):
                rows[key].append(f[: len(test)])
            truth.append(test)
            scales.append(mase_scales([history], 12)[0])
            print(f"  {i + 1}/{count} {s.id} ({len(history)} points)", flush=True)
    y = np.array(truth)
    print(f"\nsingle short series: {count} M1 monthly series (seed {seed}), horizon 18, "
          f"preset={preset}, {time.perf_counter() - start:.0f} s\n")
    print("| forecaster | sMAPE | MASE | series where it beats ETS (sMAPE) | beats Theta |")
    print("|---|---|---|---|---|")
    per = {k: np.array([smape(y[j : j + 1], np.array(v)[j : j + 1]) for j in range(len(y))])
           for k, v in rows.items()}
    for key, forecasts in rows.items():
        f = np.array(forecasts)
        m = float(np.mean(np.mean(np.abs(y - f), axis=1) / np.array(scales)))
        print(f"| {key} | {smape(y, f):.2f} | {m:.3f} | {int(np.sum(per[key] < per['ets']))}"
              f"/{count} | {int(np.sum(per[key] < per['theta']))}/{count} |")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["m3", "tourism", "m1", "backtest", "single"])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--set", dest="overrides", nargs="+", default=[])
    parser.add_argument("--global-run", default=None, help="single: an M3 monthly run")
    parser.add_argument("--series", type=int, default=20, help="single: how many series")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.what in ("m3", "tourism", "m1"):
        return competition(args.what, args.preset, args.overrides)
    if args.what == "backtest":
        return backtest(args.preset, args.overrides)
    if args.global_run is None:
        parser.error("single needs --global-run (an M3 monthly run directory)")
    return single(args.preset, args.overrides, args.global_run, args.series, args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
