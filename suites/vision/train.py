"""Train, evaluate and export the vision suite; read text lines from images.

    seqsuite train vision --preset quick --out runs/vision
    seqsuite read --run runs/vision line.png scan.jpg
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from seqsuite.shared.data.images import serve_image_files
from seqsuite.shared.evaluation.plots import _save, plt
from seqsuite.shared.layers.ctc import ctc_decode, error_rates
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.vision.config import Config
from seqsuite.suites.vision.data import LineData, Lines
from seqsuite.suites.vision.model import serving, vocabulary


def read_split(model, lines: Lines, config: Config,
               methods=("greedy", "beam")) -> dict[str, list[str]]:
    """{method: texts} of lines, decoded from one pass of the model per batch."""
    out = {method: [] for method in methods}
    for start in range(0, len(lines), config.batch_size):
        widths = lines.widths[start: start + config.batch_size]
        images = lines.images[start: start + config.batch_size, :, : max(int(widths.max()), 1)]
        logits = model({"image": images, "width": widths}, training=False)
        for method in methods:
            ids, _ = ctc_decode(logits, method=method, beam_width=config.beam_width)
            out[method].extend(t.decode() for t in vocabulary(config).to_text(ids).numpy())
    return out


def accuracies(references: list[str], hypotheses: list[str]) -> dict:
    """Character accuracy (1 - CER, floored at 0), sequence accuracy (exact match) and CER."""
    cer = error_rates(references, hypotheses)["cer"] if references else 0.0
    exact = float(np.mean([r == h for r, h in zip(references, hypotheses)])) if references \
        else 0.0
    return {"char_accuracy": max(0.0, 1.0 - cer), "sequence_accuracy": exact, "cer": cer,
            "lines": len(references)}


def plot_examples(lines: Lines, texts: list[str], path: Path, count: int = 6) -> Path:
    """A few test lines with the reference and the model's reading above each."""
    count = min(count, len(lines))
    fig, axes = plt.subplots(max(count, 1), 1, figsize=(8, 1.3 * max(count, 1)), squeeze=False)
    for i, ax in enumerate(axes[:, 0]):
        ax.axis("off")
        if i >= count:
            continue
        ax.imshow(lines.images[i, :, : lines.widths[i], 0], cmap="gray", vmin=0, vmax=1,
                  aspect="equal")
        right = texts[i] == lines.texts[i]
        ax.set_title(f"reference {lines.texts[i]}   read {texts[i]}", fontsize=9, loc="left",
                     color="black" if right else "tab:red")
    return _save(fig, path)


def evaluate(model, data: LineData, config: Config, where: Evaluation) -> dict:
    """Test character and sequence accuracy for greedy and beam-search decoding,
    `test_lines.tsv` (reference, greedy, beam) and `examples.png` in `where.out`."""
    test = data.splits["test"]
    readings = read_split(model, test, config)
    metrics = {"test": {method: accuracies(test.texts, texts)
                        for method, texts in readings.items()}}
    with (where.out / "test_lines.tsv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["reference", "greedy", "beam"])
        for i, reference in enumerate(test.texts):
            writer.writerow([reference, readings["greedy"][i], readings["beam"][i]])
    plot_examples(test, readings["beam"], where.out / "examples.png")
    metrics["data"] = {"source": data.name,
                       **{f"{split}_lines": len(lines) for split, lines in data.splits.items()},
                       **{f"skipped_{split}": n for split, n in data.skipped.items()}}
    return metrics


def read(run, args) -> list[str]:
    """One line per file (`seqsuite read`): `path<TAB>text`, and a third field saying what
    was wrong when the file could not be read as an image (its text is empty)."""
    return serve_image_files(serving(run.model, run.config).function, args.files, "text")


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["gru", "lstm"]),
        "units": hp.Choice("units", [64, 96, 128]),
        "layers": hp.Int("layers", 1, 3),
        "conv_filters": hp.Choice("conv_filters", [16, 32, 48]),
        "dropout": hp.Choice("dropout", [0.0, 0.1, 0.2]),
        "zoneout_h": hp.Choice("zoneout_h", [0.0, 0.05]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 2e-3, 4e-3]),
        "batch_size": hp.Choice("batch_size", [16, 32]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }
