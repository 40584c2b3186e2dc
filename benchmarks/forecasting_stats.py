"""Statistical baselines on the M3 and Tourism competitions: a sanity check of the
metrics and of `fit_statistical`.

    python -m benchmarks.forecasting_stats [--jobs 1] [--timing [--repeats 3]] [--limit N]

Fits seasonal naive, Naive2, ETS (statsforecast AutoETS) and Theta (statsforecast
Theta) to the official training part of every series, forecasts the official
horizon, and prints sMAPE per M3 subset and overall (pooled over all forecast
steps, as Makridakis & Hibon 2000 average them) and MASE per Tourism subset.
Anchors: Theta's published M3 sMAPE 13.01 (Makridakis & Hibon 2000; yearly
16.90, quarterly 8.96, monthly 13.85, other 4.41 as tabulated by Oreshkin et al.
2020, N-BEATS), and Hyndman's recalculation from the submitted Theta forecasts
(Mcomp package vignette "Forecast comparisons"): sMAPE averaged per series
12.76, MASE 1.39. `--timing` also times ETS + Theta on all of M3 with one and
two worker processes, `--repeats` fits of each, taking turns (median and range). Writes
benchmarks/results/forecasting_stats.json (sections "main" and "timing").
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

from benchmarks import record

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SUITE = "forecasting"

MODELS = ("naive2", "seasonal_naive", "ets", "theta")
PUBLISHED_THETA = {"yearly": 16.90, "quarterly": 8.96, "monthly": 13.85, "other": 4.41,
                   "all": 13.01}


def _split(series):
    histories = [s.values[: s.n_train] for s in series]
    width = max(s.horizon for s in series)
    truth = np.full((len(series), width), np.nan)
    for i, s in enumerate(series):
        truth[i, : s.horizon] = s.values[s.n_train :]
    return histories, truth


def _fit(series, jobs, models=MODELS):
    from seqsuite.suites.forecasting.baselines import fit_statistical

    histories, truth = _split(series)
    start, cpu = time.perf_counter(), _cpu_seconds()
    forecasts = fit_statistical(histories, [s.horizon for s in series],
                                [s.period for s in series], models=models, n_jobs=jobs)
    return histories, truth, forecasts, (time.perf_counter() - start, _cpu_seconds() - cpu)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished workers (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _per_series_smape(truth, point):
    denominator = np.abs(truth) + np.abs(point)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(denominator > 0, 200 * np.abs(truth - point) / denominator, 0.0)
    terms = np.where(np.isfinite(truth) & np.isfinite(point), terms, np.nan)
    return float(np.mean(np.nanmean(terms, axis=1)))


def _series(name: str, limit: int | None):
    from seqsuite.suites.forecasting.collections import load_competition

    series = load_competition(name)
    return series[::max(1, len(series) // limit)] if limit else series


def m3_tables(jobs: int, limit: int | None) -> tuple[list[dict], dict, dict]:
    from seqsuite.shared.evaluation.metrics import coverage, forecast_scores, mase_scales, smape

    series = _series("m3", limit)
    histories, truth, forecasts, (seconds, cpu) = _fit(series, jobs)
    kinds = np.array([s.kind for s in series])
    scale = mase_scales(histories, [s.period for s in series])
    subsets = ("yearly", "quarterly", "monthly", "other", "all")
    counts = {k: int(np.sum(kinds == k)) for k in subsets[:-1]} | {"all": len(series)}
    pooled = []
    for name in MODELS:
        row = {"model": name}
        for subset in subsets:
            rows = kinds == subset if subset != "all" else np.ones(len(series), bool)
            row[subset] = smape(truth[rows], forecasts[name]["point"][rows])
        pooled.append(row)
    pooled.append({"model": "Theta, published", **PUBLISHED_THETA})
    naive2 = forecasts["naive2"]["point"]
    other = []
    for name in MODELS:
        f = forecasts[name]
        scores = forecast_scores(truth, f["point"], scale, naive2=naive2)
        cover = {level: coverage(truth, f[f"lower_{level}"], f[f"upper_{level}"])
                 if f"lower_{level}" in f else None for level in (80, 95)}
        other.append({"model": name, "smape": _per_series_smape(truth, f["point"]),
                      "mase": scores["mase"], "owa": scores["owa"], "coverage_80": cover[80],
                      "coverage_95": cover[95], "fallbacks": int(f["fallback"].sum())})
    other.append({"model": "Theta, Hyndman's recalculation", "smape": 12.76, "mase": 1.39,
                  "owa": None, "coverage_80": None, "coverage_95": None, "fallbacks": None})
    tables = [
        record.table(
            f"M3, {len(series)} series, official horizons: sMAPE (%) pooled over forecast steps",
            [record.column("model", "model"),
             *(record.column(s, f"{s} ({counts[s]})", ".2f") for s in subsets)], pooled),
        record.table(
            f"M3, {len(series)} series: sMAPE averaged per series, MASE (seasonal scale), OWA "
            "(vs Naive2), interval coverage",
            [record.column("model", "model"),
             record.column("smape", "sMAPE per series", ".2f"),
             record.column("mase", "MASE", ".3f"), record.column("owa", "OWA", ".3f"),
             record.column("coverage_80", "coverage 80", ".3f"),
             record.column("coverage_95", "coverage 95", ".3f"),
             record.column("fallbacks", "fallbacks")], other)]
    fit = {"collection": "M3", "series": len(series), "wall_s": seconds, "cpu_s": cpu}
    theta = next(r for r in pooled if r["model"] == "theta")
    return tables, fit, theta


def tourism_table(jobs: int, limit: int | None) -> tuple[dict, dict]:
    from seqsuite.shared.evaluation.metrics import mase, mase_scales

    series = _series("tourism", limit)
    histories, truth, forecasts, (seconds, cpu) = _fit(series, jobs)
    kinds = np.array([s.kind for s in series])
    scale = mase_scales(histories, [s.period for s in series])
    subsets = ("yearly", "quarterly", "monthly")
    rows = [{"model": name, **{k: mase(truth[kinds == k], forecasts[name]["point"][kinds == k],
                                       scale[kinds == k]) for k in subsets}}
            for name in MODELS]
    table = record.table(
        f"Tourism, {len(series)} series, official horizons (4, 8, 24): MASE (in-sample "
        "seasonal-naive scale, lag 1 for yearly)",
        [record.column("model", "model"),
         *(record.column(k, f"{k} ({int(np.sum(kinds == k))})", ".3f") for k in subsets)], rows)
    return table, {"collection": "Tourism", "series": len(series), "wall_s": seconds,
                   "cpu_s": cpu}


def timing(limit: int | None, repeats: int) -> dict:
    series = _series("m3", limit)
    wall, cpu, loads = {1: [], 2: []}, {1: [], 2: []}, []
    for _ in range(repeats):
        for jobs in (1, 2):
            loads.append(os.getloadavg()[0])
            *_, (seconds, cpu_seconds) = _fit(series, jobs, models=("ets", "theta"))
            wall[jobs].append(seconds)
            cpu[jobs].append(cpu_seconds)
    rows = [{"jobs": jobs, "wall_s": record.median_spread(wall[jobs]),
             "cpu_s": record.median_spread(cpu[jobs])} for jobs in (1, 2)]
    return record.table(
        f"ETS + Theta on {len(series)} M3 series (fit_statistical, forked workers)",
        [record.column("jobs", "n_jobs"), record.column("wall_s", "wall s", ".1f"),
         record.column("cpu_s", "CPU s (process + workers)", ".1f")], rows,
        notes=[f"Load average before the fits: {min(loads):.1f}–{max(loads):.1f} on "
               f"{os.cpu_count()} cores."])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the fits")
    parser.add_argument("--timing", action="store_true",
                        help="also time ETS + Theta on M3 with 1 and 2 jobs")
    parser.add_argument("--repeats", type=int, default=3, help="--timing: fits of each n_jobs")
    parser.add_argument("--limit", type=int, default=None,
                        help="an evenly spaced sample of about N series per collection (quick check)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1. Received: {args.repeats}")
    command = record.command_line("forecasting_stats", argv)
    prov = record.provenance(command, jobs=args.jobs, limit=args.limit)
    m3, m3_fit, theta = m3_tables(args.jobs, args.limit)
    tourism, tourism_fit = tourism_table(args.jobs, args.limit)
    cost = record.table(
        "Cost of fitting all four models (one fit each)",
        [record.column("collection", "collection"), record.column("series", "series"),
         record.column("wall_s", "wall s", ".0f"), record.column("cpu_s", "CPU s", ".0f")],
        [m3_fit, tourism_fit], notes=[f"n_jobs={args.jobs}."])
    record.write_result(
        "forecasting_stats", suite=SUITE, title=__doc__, provenance=prov,
        section_title="Statistical baselines on M3 and Tourism", tables=[*m3, tourism, cost],
        headline=[record.headline("Theta M3 sMAPE", theta["all"], ".2f"),
                  record.headline("published", PUBLISHED_THETA["all"], ".2f")])
    if args.timing:
        prov = record.provenance(command, repeats=args.repeats, limit=args.limit)
        record.write_result(
            "forecasting_stats", suite=SUITE, title=__doc__, provenance=prov,
            section="timing", section_title="Speed of ETS + Theta",
            tables=[timing(args.limit, args.repeats)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
