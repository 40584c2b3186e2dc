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


def plot_forecast_panels(panels: list[dict], path: Path, title: str = "", ncols: int = 3) -> Path:
    """Series with forecasts and their intervals, one panel per series, on their own time axes.

    Each panel is a dict: `title`, `time` and `values` (the history shown),
    and `forecasts`, a list of dicts with `time`, `truth` (may be None),
    `point` and `bands` ({percent: (lower, upper)}, widest drawn lightest).
    `time` holds dates or step numbers.
    """
    ncols = max(1, min(ncols, len(panels)))
    nrows = int(np.ceil(len(panels) / ncols))
    wide = ncols == 1
    fig, axes = plt.subplots(nrows, ncols, figsize=(9 if wide else 4 * ncols, 3.2 * nrows),
                             squeeze=False)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    for ax, panel in zip(axes.ravel(), panels):
        ax.plot(panel["time"], panel["values"], color="0.35", lw=1, label="history")
        for i, f in enumerate(panel["forecasts"]):
            first = i == 0
            for percent, (low, high) in sorted(f.get("bands", {}).items(), reverse=True):
                ax.fill_between(f["time"], low, high, color="tab:orange",
                                alpha=0.15 if percent >= 90 else 0.3, lw=0,
                                label=f"{percent}% interval" if first else None)
            if f.get("truth") is not None:
                ax.plot(f["time"], f["truth"], color="tab:blue", marker=".", ms=3, lw=1,
                        label="truth" if first else None)
            ax.plot(f["time"], f["point"], color="tab:orange", marker=".", ms=3, lw=1,
                    label="forecast" if first else None)
            ax.axvline(f["time"][0], color="0.85", lw=0.8)
        ax.set_title(panel.get("title", ""), fontsize=9)
        ax.tick_params(labelsize=7)
    axes.ravel()[0].legend(loc="best", fontsize=7)
    if title:
        fig.suptitle(title)
    fig.autofmt_xdate()
    return _save(fig, path)


def plot_backtest(times, rows: dict, coverage: dict, path: Path, title: str = "") -> Path:
    """Errors per forecast origin: `rows` {name: MASE per origin}; `coverage`
    {percent: observed coverage per origin}, drawn beside its nominal level."""
    fig, axes = plt.subplots(1, 2 if coverage else 1, figsize=(11 if coverage else 7, 3.4),
                             squeeze=False)
    ax = axes[0, 0]
    for name, values in rows.items():
        ax.plot(times, values, marker=".", label=name)
    ax.set_ylabel("MASE")
    ax.set_xlabel("forecast origin")
    ax.legend(fontsize=8)
    if coverage:
        ax = axes[0, 1]
        for percent, values in sorted(coverage.items()):
            line, = ax.plot(times, np.asarray(values) * 100, marker=".", label=f"{percent}%")
            ax.axhline(percent, color=line.get_color(), ls="--", lw=0.8)
        ax.set_ylabel("interval coverage (%)")
        ax.set_xlabel("forecast origin")
        ax.set_ylim(0, 105)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.autofmt_xdate()
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


def plot_detections(values, scores, flags, path: Path, *, threshold: float | None = None,
                    watched=None, labels=None, channels=(), start: int = 0,
                    title: str = "") -> Path:
    """A recording with its anomaly scores: the channels (up to four, each scaled to its own
    range and stacked) with the labelled ranges shaded and flagged rows marked, above the
    score, the quantity the threshold watches (`watched`, e.g. the smoothed score; default
    the score itself) and the `threshold` line. `start` numbers the first row."""
    values = np.asarray(values, float)
    values = values[:, None] if values.ndim == 1 else values
    shown = values[:, :4]
    low, high = shown.min(0), shown.max(0)
    stacked = (shown - low) / np.where(high > low, high - low, 1.0) + np.arange(shown.shape[1])
    t = start + np.arange(len(values))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    names = list(channels) or [f"channel {i}" for i in range(values.shape[1])]
    for i in range(shown.shape[1]):
        top.plot(t, stacked[:, i], lw=0.7, label=names[i])
    spans = []
    if labels is not None:
        edges = np.diff(np.concatenate([[0], np.asarray(labels, int), [0]]))
        spans = zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))
    for i, (a, b) in enumerate(spans):
        for ax in (top, bottom):
            ax.axvspan(start + a - 0.5, start + b - 0.5, color="tab:orange", alpha=0.3,
                       label="labelled" if i == 0 and ax is top else None)
    hit = np.flatnonzero(flags)
    top.scatter(t[hit], np.full(len(hit), -0.15), marker="|", s=60, color="tab:red",
                label="flagged")
    top.set_yticks([])
    top.legend(loc="upper left", fontsize=8, ncol=6)
    top.set_title(title)
    bottom.plot(t, scores, color="0.5", lw=0.7, label="score")
    if watched is not None:
        bottom.plot(t, watched, color="tab:blue", lw=1, label="smoothed")
    if threshold is not None:
        bottom.axhline(threshold, color="tab:red", ls="--", lw=1, label="threshold")
    bottom.set_yscale("symlog", linthresh=1.0)
    bottom.set_xlabel("row")
    bottom.legend(loc="upper left", fontsize=8, ncol=3)
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


def plot_image_attention(examples, path: Path) -> Path:
    """Where a captioner looked: one row per image, the image and then one panel per
    generated word with that word's attention weights laid over the image.

    `examples` lists `(image (h, w), words, weights (len(words), rows, cols), title)`;
    each word's weights (a grid over the image) are stretched to the image's size
    and shown in red, from transparent (0) to opaque (the row's largest weight).
    """
    examples = list(examples)
    columns = 1 + max([len(words) for _, words, _, _ in examples] or [0])
    fig, axes = plt.subplots(max(len(examples), 1), columns, squeeze=False,
                             figsize=(1.5 * columns, 1.7 * max(len(examples), 1)))
    for ax in axes.flat:
        ax.axis("off")
    for row, (image, words, weights, title) in enumerate(examples):
        image = np.asarray(image, dtype=float)
        weights = np.asarray(weights, dtype=float)
        top = max(float(weights.max()) if weights.size else 0.0, 1e-9)
        axes[row, 0].imshow(image, cmap="gray", vmin=0, vmax=1)
        axes[row, 0].set_title(title, fontsize=7, loc="left")
        extent = (-0.5, image.shape[1] - 0.5, image.shape[0] - 0.5, -0.5)
        for col, word in enumerate(words, 1):
            ax = axes[row, col]
            ax.imshow(image, cmap="gray", vmin=0, vmax=1)
            overlay = np.zeros(weights[col - 1].shape + (4,))
            overlay[..., 0] = 1.0
            overlay[..., 3] = 0.75 * weights[col - 1] / top
            ax.imshow(overlay, extent=extent, interpolation="bilinear")
            ax.set_title(word, fontsize=9)
    return _save(fig, path)


def plot_memory(curves: dict, path: Path, *, units: int, radii: dict | None = None,
                title: str = "") -> Path:
    """Reservoir diagnostics side by side: for each reservoir (`curves`: name -> its MC_k for
    k = 1, 2, ..., from `diagnostics.memory_capacity`), the memory curve, with the total MC
    against the bound `units` in the legend; `radii` (name -> effective spectral radius)
    adds a bar chart of the radii beside it, with 1 (the linearised echo state property's
    edge) marked."""
    panels = 2 if radii else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels + 1, 4),
                             gridspec_kw={"width_ratios": [3, 1][:panels]})
    axes = np.atleast_1d(axes)
    for name, curve in curves.items():
        curve = np.asarray(curve, float)
        axes[0].plot(np.arange(1, len(curve) + 1), curve, lw=1.2,
                     label=f"{name}: MC {curve.sum():.1f}")
    axes[0].set_xlabel("delay k")
    axes[0].set_ylabel("MC_k (squared recall correlation)")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].set_title(title or f"memory capacity (bound: {units} units)")
    axes[0].legend(fontsize=8)
    if radii:
        names = list(radii)
        axes[1].bar(range(len(names)), [radii[n] for n in names], color="tab:blue")
        axes[1].axhline(1.0, color="tab:red", ls="--", lw=1)
        axes[1].set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        axes[1].set_title("effective spectral radius")
    return _save(fig, path)
