"""Train, evaluate and export the captioning suite; caption images.

    seqsuite train captioning --preset quick --out runs/captioning
    seqsuite caption --run runs/captioning scene.png photo.jpg
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import sacrebleu
import tensorflow as tf

from seqsuite.shared.data.images import serve_image_files
from seqsuite.shared.evaluation.plots import plot_image_attention
from seqsuite.shared.run.suite import Evaluation
from seqsuite.suites.captioning.config import Config
from seqsuite.suites.captioning.data import RELATIONS, CaptionData, Scenes
from seqsuite.suites.captioning.model import Captioner, serving


def caption_split(captioner: Captioner, scenes: Scenes, config: Config,
                  methods=("greedy", "beam")):
    """({method: captions}, beam ids (n, T), beam attention (n, T, side, side)) of a split."""
    runs = {method: tf.function(lambda x, m=method: captioner.caption(x, m))
            for method in methods}
    out = {method: [] for method in methods}
    ids, attention = [], []
    for start in range(0, len(scenes), 256):
        images = tf.constant(scenes.images[start: start + 256])
        for method, run in runs.items():
            text, method_ids, weights = run(images)
            out[method].extend(t.decode("utf-8") for t in text.numpy())
            if method == methods[-1]:
                ids.append(method_ids.numpy())
                attention.append(weights.numpy())
    return out, np.concatenate(ids or [np.zeros((0, 1), "int32")]), \
        np.concatenate(attention or [np.zeros((0, 1, 1, 1), "float32")])


def score(hypotheses: list[str], references: list[list[str]],
          relations: list[str] | None = None) -> dict:
    """BLEU-4 (sacrebleu, corpus level, in [0, 1]), exact match (any reference) and, for
    digit scenes, exact match per relation type."""
    if not hypotheses:
        return {"bleu4": 0.0, "exact_match": 0.0, "captions": 0}
    most = max(len(refs) for refs in references)
    # sacrebleu takes one stream per reference; repeating an image's last reference
    # where it has fewer changes neither the clipped counts nor the closest length
    streams = [[refs[min(k, len(refs) - 1)] for refs in references] for k in range(most)]
    bleu = sacrebleu.corpus_bleu(hypotheses, streams, tokenize="none")
    right = np.array([h in refs for h, refs in zip(hypotheses, references)])
    out = {"bleu4": float(bleu.score) / 100, "exact_match": float(right.mean()),
           "captions": len(hypotheses)}
    for relation in RELATIONS:
        chosen = np.array([r == relation for r in (relations or [])], bool)
        if chosen.any():
            out[f"exact_{relation.replace(' ', '_')}"] = float(right[chosen].mean())
    return out


def plot_attention_maps(scenes: Scenes, captions: list[str], attention: np.ndarray,
                        path: Path, count: int) -> Path:
    """`count` test images, each with its caption's words and their attention."""
    examples = []
    for i in range(min(count, len(scenes))):
        words = captions[i].split()
        title = f"reference: {scenes.captions[i][0]}"
        examples.append((scenes.images[i, ..., 0], words, attention[i, : len(words)], title))
    return plot_image_attention(examples, path)


def evaluate(model, data: CaptionData, config: Config, where: Evaluation) -> dict:
    """Test BLEU-4, exact match and exact match per relation for greedy and beam
    decoding, `test_captions.tsv` (references, greedy, beam) and `attention.png`
    in `where.out`."""
    test = data.splits["test"]
    captioner = Captioner(model, config)
    captions, _, attention = caption_split(captioner, test, config)
    relations = test.relations if any(test.relations) else None
    metrics = {"test": {method: score(texts, test.captions, relations)
                        for method, texts in captions.items()}}
    with (where.out / "test_captions.tsv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["references", "relation", "greedy", "beam"])
        for i, refs in enumerate(test.captions):
            writer.writerow([" | ".join(refs), test.relations[i], captions["greedy"][i],
                             captions["beam"][i]])
    if config.attention and config.attention_maps:
        plot_attention_maps(test, captions["beam"], attention, where.out / "attention.png",
                            config.attention_maps)
    metrics["data"] = {"source": data.name,
                       **{f"{split}_images": len(s) for split, s in data.splits.items()},
                       "words": len(config.words)}
    return metrics


def caption(run, args) -> list[str]:
    """One line per file (`seqsuite caption`): `path<TAB>caption`, and a third field saying
    what was wrong when the file could not be read as an image (its caption is empty)."""
    return serve_image_files(serving(run.model, run.config).function, args.files, "caption")


def search_space(hp) -> dict:
    clip = hp.Choice("clip_norm", [0.0, 1.0, 5.0])
    return {
        "cell": hp.Choice("cell", ["gru", "lstm"]),
        "units": hp.Choice("units", [64, 128, 256]),
        "embedding_dim": hp.Choice("embedding_dim", [16, 32, 64]),
        "conv_filters": hp.Choice("conv_filters", [8, 16, 32]),
        "attention": hp.Boolean("attention", default=True),
        "dropout": hp.Choice("dropout", [0.0, 0.3, 0.5]),
        "learning_rate": hp.Choice("learning_rate", [1e-3, 3e-3, 5e-3]),
        "batch_size": hp.Choice("batch_size", [32, 64]),
        "clip_norm": clip or None,  # 0 in the space means "no clipping"
    }
