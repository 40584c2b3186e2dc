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


def plot_prediction(truth, predictions: dict, path: Path, title: str = "",
                    start: int = 0, marker: int | None = None) -> Path:
    """Truth against one or more predictions (e.g. ESN, LSTM) on one axis.

    `marker` draws a vertical line at that step, e.g. where closed-loop
    generation takes over from teacher forcing.
    """
    truth = np.asarray(truth, dtype=float)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    t = np.arange(start, start + len(truth))
    ax.plot(t, truth, color="0.2", lw=1.5, label="truth")
    for name, values in predictions.items():
        values = np.asarray(values, dtype=float)
        ax.plot(t[: len(values)], values, lw=1, label=name)
    if marker is not None:
        ax.axvline(marker, color="0.6", ls="--", lw=1)
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.legend(loc="best")
    return _save(fig, path)


def plot_attention(weights, source_tokens, output_tokens, path: Path, title: str = "") -> Path:
    """Alignment heatmap: one row per output token, one column per source token."""
    weights = np.asarray(weights, dtype=float)
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * len(source_tokens) + 2),
                                    max(3, 0.35 * len(output_tokens) + 1.5)))
    ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0, vmax=max(weights.max(), 1e-9))
    ax.set_xticks(range(len(source_tokens)), [repr(t)[1:-1] or "␣" for t in source_tokens],
                  rotation=90)
    ax.set_yticks(range(len(output_tokens)), [repr(t)[1:-1] for t in output_tokens])
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title)
    return _save(fig, path)


def plot_word_attention(words, weights, path: Path, title: str = "", width: int = 80) -> Path:
    """The words of one text as running text, each shaded by its attention weight.

    Monospaced, so a word's position is its character offset; lines wrap at
    `width` characters. The darkest shade is the largest weight of the text.
    """
    weights = np.asarray(weights, dtype=float)[: len(words)]
    top = max(float(weights.max()) if len(weights) else 0.0, 1e-9)
    placed, row, col = [], 0, 0
    for word in words:
        if col and col + len(word) > width:
            row, col = row + 1, 0
        placed.append((row, col))
        col += len(word) + 1
    lines = row + 1
    fontsize = 10
    char_inches = 0.6 * fontsize / 72  # advance of one monospace character
    fig = plt.figure(figsize=((width + 2) * char_inches, 0.3 * lines + 0.6))
    ax = fig.add_axes((0, 0, 1, 1 - 0.4 / (0.3 * lines + 0.6)))
    cmap = plt.get_cmap("Reds")
    for word, weight, (row, col) in zip(words, weights, placed):
        shade = weight / top
        ax.text(col, lines - row - 0.5, word, ha="left", va="center", family="monospace",
                fontsize=fontsize, color="white" if shade > 0.6 else "black",
                bbox={"facecolor": cmap(0.9 * shade), "edgecolor": "none", "pad": 1.5})
    ax.set_xlim(-1, width + 1)
    ax.set_ylim(0, lines)
    ax.axis("off")
    fig.suptitle(title, fontsize=fontsize, y=1 - 0.15 / (0.3 * lines + 0.6), va="top")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_confusion(counts, labels, path: Path, title: str = "") -> Path:
    """Confusion matrix: row i, column j counts class i predicted as class j.

    Cells are shaded by the share of their row (the true class), so a class
    with few examples shows its errors as clearly as a large one; each cell
    prints its count.
    """
    counts = np.asarray(counts, dtype=int)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(3.5, 0.45 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 0.8, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i, j in np.ndindex(counts.shape):
        if counts[i, j]:
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if shares[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 6 else 0)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    return _save(fig, path)
