"""Statistical baselines on the M3 and Tourism competitions: a sanity check of the
metrics and of `fit_statistical`.

    python -m benchmarks.forecasting_stats [--jobs 1] [--timing] [--limit N]

Fits seasonal naive, Naive2, ETS (statsforecast AutoETS) and Theta (statsforecast
Theta) to the official training part of every series, forecasts the official
horizon, and prints sMAPE per M3 subset and overall (pooled over all forecast
steps, as Makridakis & Hibon 2000 average them) and MASE per Tourism subset.
Anchors: Theta's published M3 sMAPE 13.01 (Makridakis & Hibon 2000; yearly
16.90, quarterly 8.96, monthly 13.85, other 4.41 as tabulated by Oreshkin et al.
2020, N-BEATS), and Hyndman's recalculation from the submitted Theta forecasts
(Mcomp package vignette "Forecast comparisons"): sMAPE averaged per series
12.76, MASE 1.39. `--timing` also times ETS + Theta on all of M3 with one and
two worker processes.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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


def m3_table(jobs: int, limit: int | None) -> list[str]:
    from seqsuite.shared.evaluation.metrics import coverage, forecast_scores, mase_scales, smape
    from seqsuite.suites.forecasting.collections import load_competition

    series = load_competition("m3")
    if limit:
        series = series[::max(1, len(series) // limit)]
    histories, truth, forecasts, (seconds, cpu) = _fit(series, jobs)
    kinds = np.array([s.kind for s in series])
    scale = mase_scales(histories, [s.period for s in series])
    subsets = ("yearly", "quarterly", "monthly", "other", "all")
    lines = [f"M3, {len(series)} series, official horizons; all four models fitted in "
             f"{seconds:.0f} s ({cpu:.0f} CPU s) with n_jobs={jobs}", "",
             "sMAPE (%), pooled over forecast steps:", "",
             "| model | " + " | ".join(subsets) + " |", "|---" * (len(subsets) + 1) + "|"]
    for name in MODELS:
        cells = []
        for subset in subsets:
            rows = kinds == subset if subset != "all" else np.ones(len(series), bool)
            cells.append(f"{smape(truth[rows], forecasts[name]['point'][rows]):.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| Theta, published | " + " | ".join(
        f"{PUBLISHED_THETA[s]:.2f}" for s in subsets) + " |")
    lines += ["", f"All {len(series)} series: sMAPE averaged per series, MASE (seasonal scale), OWA "
              "(vs Naive2), 80%/95% interval coverage:", "",
              "| model | sMAPE per series | MASE | OWA | coverage 80 | coverage 95 | fallbacks |",
              "|---|---|---|---|---|---|---|"]
    naive2 = forecasts["naive2"]["point"]
    for name in MODELS:
        f = forecasts[name]
        scores = forecast_scores(truth, f["point"], scale, naive2=naive2)
        cover = []
        for level in (80, 95):
            if f"lower_{level}" in f:
                cover.append(f"{coverage(truth, f[f'lower_{level}'], f[f'upper_{level}']):.3f}")
            else:
                cover.append("-")
        lines.append(f"| {name} | {_per_series_smape(truth, f['point']):.2f} | "
                     f"{scores['mase']:.3f} | {scores['owa']:.3f} | {cover[0]} | {cover[1]} | "
                     f"{int(f['fallback'].sum())} |")
    lines.append("| Theta, Hyndman's recalculation | 12.76 | 1.39 | | | | |")
    return lines


def tourism_table(jobs: int, limit: int | None) -> list[str]:
    from seqsuite.shared.evaluation.metrics import mase, mase_scales
    from seqsuite.suites.forecasting.collections import load_competition

    series = load_competition("tourism")
    if limit:
        series = series[::max(1, len(series) // limit)]
    histories, truth, forecasts, (seconds, cpu) = _fit(series, jobs)
    kinds = np.array([s.kind for s in series])
    scale = mase_scales(histories, [s.period for s in series])
    subsets = ("yearly", "quarterly", "monthly")
    lines = [f"Tourism, {len(series)} series, official horizons (4, 8, 24); fitted in "
             f"{seconds:.0f} s ({cpu:.0f} CPU s) with n_jobs={jobs}", "",
             "MASE (in-sample seasonal-naive scale, lag 1 for yearly):", "",
             "| model | " + " | ".join(subsets) + " |", "|---" * (len(subsets) + 1) + "|"]
    for name in MODELS:
        cells = [f"{mase(truth[kinds == k], forecasts[name]['point'][kinds == k], scale[kinds == k]):.3f}"
                 for k in subsets]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def timing(limit: int | None) -> list[str]:
    from seqsuite.suites.forecasting.collections import load_competition

    series = load_competition("m3")
    if limit:
        series = series[::max(1, len(series) // limit)]
    lines = ["", f"ETS + Theta on {len(series)} M3 series (load average before: "
             f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):", "",
             "| n_jobs | wall s | CPU s |", "|---|---|---|"]
    for jobs in (1, 2):
        *_, (seconds, cpu) = _fit(series, jobs, models=("ets", "theta"))
        lines.append(f"| {jobs} | {seconds:.1f} | {cpu:.1f} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the fits")
    parser.add_argument("--timing", action="store_true",
                        help="also time ETS + Theta on M3 with 1 and 2 jobs")
    parser.add_argument("--limit", type=int, default=None,
                        help="an evenly spaced sample of about N series per collection (quick check)")
    args = parser.parse_args(argv)
    lines = m3_table(args.jobs, args.limit) + [""] + tourism_table(args.jobs, args.limit)
    if args.timing:
        lines += timing(args.limit)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
