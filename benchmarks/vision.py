"""Text-line recognition benchmark: quick preset on digit lines of unseen digit images.

    python -m benchmarks.vision [--preset quick] [--seeds 0]

Target: test sequence accuracy >= 95% (beam search), beside a per-digit CNN
classifier that is told where the digits are, trained on the same training
digit images: its expected sequence accuracy on lines of 3..8 digits is the
mean of (per-digit accuracy)^length, the upper bound an RNN reader should
approach. Captioning (issue 12, part 2) has its own benchmark,
`python -m benchmarks.captioning`. Writes benchmarks/results/vision.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from benchmarks import record, scratch_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "vision"


def oracle_digit_classifier(config) -> tuple[float, float, float]:
    """(per-digit test accuracy, expected sequence accuracy, seconds) of a small CNN on the
    segmented digits of the same split of scikit-learn's images."""
    import keras

    from seqsuite.suites.vision.data import digit_images

    start = time.perf_counter()
    pools = digit_images(config.seed, config.val_fraction, config.test_fraction)

    def arrays(split):
        x = np.concatenate([pools[split][d] for d in range(10)])[..., None]
        y = np.concatenate([np.full(len(pools[split][d]), d) for d in range(10)])
        return x, y

    (x, y), (xv, yv), (xt, yt) = arrays("train"), arrays("val"), arrays("test")
    keras.utils.set_random_seed(config.seed)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, validation_data=(xv, yv), epochs=30, batch_size=64, verbose=0,
              callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])
    accuracy = float(np.mean(model.predict(xt, verbose=0).argmax(-1) == yt))
    lengths = np.arange(config.min_digits, config.max_digits + 1)
    return accuracy, float(np.mean(accuracy ** lengths)), time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)

    from seqsuite import registry

    prov = record.provenance(record.command_line("vision", argv), seeds=args.seeds,
                             preset=args.preset)
    rows = []
    for seed in args.seeds:
        config = registry.resolve_config("vision", args.preset, [f"seed={seed}"])
        digit, expected, oracle_seconds = oracle_digit_classifier(config)
        with scratch_run("vision", args.preset, [f"seed={seed}"]) as (metrics, seconds, _):
            greedy, beam = metrics["test"]["greedy"], metrics["test"]["beam"]
        rows.append({"seed": seed, "greedy_char": greedy["char_accuracy"],
                     "greedy_seq": greedy["sequence_accuracy"],
                     "beam_char": beam["char_accuracy"], "beam_seq": beam["sequence_accuracy"],
                     "target": beam["sequence_accuracy"] >= 0.95, "oracle_digit": digit,
                     "oracle_seq": expected, "seconds": seconds,
                     "oracle_seconds": oracle_seconds})
    record.write_result(
        "vision", suite=SUITE, title=__doc__, provenance=prov,
        section_title=f"Text lines of unseen digit images, preset {args.preset}",
        headline=[record.headline("beam sequence accuracy", statistics.median(
                      r["beam_seq"] for r in rows), ".4f"),
                  record.headline("oracle expected", statistics.median(
                      r["oracle_seq"] for r in rows), ".4f")],
        tables=[record.table(
            "Test lines",
            [record.column("seed", "seed"),
             record.column("greedy_char", "greedy char acc", ".4f"),
             record.column("greedy_seq", "greedy seq acc", ".4f"),
             record.column("beam_char", "beam char acc", ".4f"),
             record.column("beam_seq", "beam seq acc", ".4f"),
             record.column("target", "seq acc >= 95%"),
             record.column("oracle_digit", "oracle digit acc", ".4f"),
             record.column("oracle_seq", "oracle expected seq acc", ".4f"),
             record.column("seconds", "train+eval s (one run)", ".0f"),
             record.column("oracle_seconds", "oracle s (one run)", ".0f")], rows)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
