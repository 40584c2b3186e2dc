"""Forecasting quality benchmark: quick preset on CO2 and sunspots.

    python -m benchmarks.forecasting [--preset quick] [--seeds 0 1 2]

Targets: on both series the model's test MASE beats the seasonal-naive
baseline measured on the same windows; anomaly-detection F1 >= 0.8 on the
injected copy of the test split. Prints a markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os

from benchmarks import scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)


    rows = []
    for series in ("co2", "sunspots"):
        for seed in args.seeds:
            overrides = [f"data={series}", "task=anomaly", f"seed={seed}"]
            with scratch_run("forecasting", args.preset, overrides) as (metrics, seconds, _):
                test, anomaly = metrics["test"], metrics["anomaly"]
                rows.append((series, seed, test["model"]["mase"], test["seasonal_naive"]["mase"],
                             test["naive"]["mase"], anomaly["f1"], seconds))
    print(f"\nforecasting benchmark, preset={args.preset}\n")
    print("| series | seed | model MASE | seasonal-naive MASE | naive MASE | beats seasonal-naive "
          "| anomaly F1 | F1 >= 0.8 | train+eval s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for series, seed, mase, snaive, naive, f1, seconds in rows:
        print(f"| {series} | {seed} | {mase:.3f} | {snaive:.3f} | {naive:.3f} | "
              f"{'PASS' if mase < snaive else 'MISS'} | {f1:.3f} | "
              f"{'PASS' if f1 >= 0.8 else 'MISS'} | {seconds:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
