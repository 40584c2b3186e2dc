"""PNG plots shared by the suites (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_forecast(history, truth, forecast, path: Path, title: str = "") -> Path:
    """History, then truth and forecast over the horizon, on one time axis."""
    history, truth, forecast = (np.asarray(a, dtype=float) for a in (history, truth, forecast))
    fig, ax = plt.subplots(figsize=(9, 3.5))
    t_hist = np.arange(len(history))
    t_future = np.arange(len(history), len(history) + len(truth))
    ax.plot(t_hist, history, color="0.4", label="history")
    ax.plot(t_future, truth, color="tab:blue", marker=".", label="truth")
    ax.plot(t_future, forecast, color="tab:orange", marker=".", label="forecast")
    ax.axvline(len(history) - 0.5, color="0.8", lw=1)
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.legend(loc="best")
    return _save(fig, path)


def plot_series_flags(series, flags, truth_flags, path: Path, title: str = "") -> Path:
    """A series with detected points (red) and, if given, the true anomalies (circles)."""
    series = np.asarray(series, dtype=float)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    t = np.arange(len(series))
    ax.plot(t, series, color="0.3", lw=1, label="series")
    if truth_flags is not None:
        idx = np.flatnonzero(truth_flags)
        ax.scatter(idx, series[idx], s=40, facecolors="none", edgecolors="tab:blue",
                   label="injected")
    idx = np.flatnonzero(flags)
    ax.scatter(idx, series[idx], s=10, color="tab:red", label="flagged")
    ax.set_title(title)
    ax.legend(loc="best")
    return _save(fig, path)


def plot_history(rows: list[dict], path: Path) -> Path:
    """Training and validation loss per epoch from the runner's history.csv rows."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = [int(r["epoch"]) + 1 for r in rows]
    for key in ("loss", "val_loss"):
        if rows and key in rows[0]:
            ax.plot(epochs, [float(r[key]) for r in rows], marker=".", label=key)
    ax.set_xlabel("epoch")
    ax.set_yscale("log")
    ax.legend(loc="best")
    return _save(fig, path)
