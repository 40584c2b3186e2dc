"""The `seqsuite` command: list, train, evaluate, export and tune the suites.

    seqsuite list
    seqsuite train forecasting --preset quick --set cell=gru --set units=64 --out runs/f1
    seqsuite evaluate --run runs/f1
    seqsuite export --run runs/f1 [--out DIR]
    seqsuite tune forecasting --tuner bayesian --max-trials 10 --out runs/tune1
    seqsuite translate --run runs/dates "3rd of March 1998"

Errors in the user's input print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from shared.errors import SeqsuiteError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # argparse prints usage plus the error; one line with the fix is kinder.
        raise SeqsuiteError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="seqsuite", description="Keras 3 sequence-modelling suites.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="list the suites")

    def run_options(sp):
        sp.add_argument("suite", help="suite name (see `seqsuite list`)")
        sp.add_argument("--preset", default="quick", help="smoke, quick or full (default quick)")
        sp.add_argument("--set", dest="overrides", action="extend", nargs="+", default=[],
                        metavar="KEY=VALUE", help="override config fields: --set a=1 b=2")
        sp.add_argument("--out", default=None,
                        help="run directory (default runs/<suite>-<preset>)")

    t = sub.add_parser("train", help="train a suite and write a run directory")
    run_options(t)
    t.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")

    e = sub.add_parser("evaluate", help="re-evaluate a finished run")
    e.add_argument("--run", required=True, help="run directory")

    x = sub.add_parser("export", help="export a finished run as a SavedModel")
    x.add_argument("--run", required=True, help="run directory")
    x.add_argument("--out", default=None, help="SavedModel directory (default RUN/export)")

    tr = sub.add_parser("translate", help="translate text with a finished translation run")
    tr.add_argument("--run", required=True, help="run directory of a translation run")
    tr.add_argument("--method", default="beam", help="beam (default), greedy or sample")
    tr.add_argument("texts", nargs="+", help="source sentences")

    pr = sub.add_parser("predict", help="label text with a finished classifier or tagger run")
    pr.add_argument("--run", required=True, help="run directory")
    pr.add_argument("texts", nargs="+", help="texts (a tagger takes space-separated tokens)")

    ge = sub.add_parser("generate", help="sample text from a finished language-model run")
    ge.add_argument("--run", required=True, help="run directory")
    ge.add_argument("--prompt", default="", help="text to continue")
    ge.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (> 0)")
    ge.add_argument("--top-k", type=int, default=0, help="sample among the k most likely; 0: all")
    ge.add_argument("--length", type=int, default=200, help="tokens to generate")
    ge.add_argument("--seed", type=int, default=None, help="seed for reproducible samples")

    u = sub.add_parser("tune", help="hyperparameter search with keras-tuner")
    run_options(u)
    u.add_argument("--tuner", default="random",
                   help="random, grid, bayesian or hyperband (default random)")
    u.add_argument("--max-trials", type=int, default=10, help="trials to run (default 10)")
    u.add_argument("--overwrite", action="store_true", help="start the search afresh")
    return p


# Inference commands: each calls the suite's `train.<command>(model, config, **options)`,
# which returns the lines to print.
INFERENCE = {
    "translate": "use a translation run",
    "predict": "use a sentiment or tagging run",
    "generate": "use a language-model run",
}


def _inference_options(args) -> dict:
    if args.command == "translate":
        if args.method not in ("beam", "greedy", "sample"):
            raise SeqsuiteError(f"unknown --method '{args.method}'; use beam, greedy or sample")
        return {"texts": args.texts, "method": args.method}
    if args.command == "predict":
        return {"texts": args.texts}
    if args.temperature <= 0:
        raise SeqsuiteError(f"--temperature must be > 0, got {args.temperature}")
    if args.top_k < 0 or args.length < 1:
        raise SeqsuiteError("--top-k must be >= 0 and --length >= 1")
    return {"prompt": args.prompt, "temperature": args.temperature, "top_k": args.top_k,
            "length": args.length, "seed": args.seed}


def run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from shared import runner

    if args.command == "list":
        for name in runner.suite_names():
            print(f"{name:<16}{runner.describe(name)}")
        return 0
    if args.command == "evaluate":
        print(runner.format_metrics(runner.evaluate_run(args.run)), end="")
        return 0
    if args.command == "export":
        print(f"SavedModel written to {runner.export_run(args.run, args.out)}")
        return 0
    if args.command in INFERENCE:
        suite, config, model = runner.load_run(args.run)
        infer = getattr(suite.train, args.command, None)
        if infer is None:
            raise SeqsuiteError(f"{args.run} is a {suite.name} run, which has no "
                                f"`{args.command}`; {INFERENCE[args.command]}")
        for line in infer(model, config, **_inference_options(args)):
            print(line)
        return 0
    suite = runner.get_suite(args.suite)
    config = runner.resolve_config(suite, args.preset, args.overrides)
    out = args.out or f"runs/{suite.name}-{args.preset}" + ("-tune" if args.command == "tune" else "")
    if args.command == "train":
        metrics = runner.train(suite, config, out, args.preset, args.overwrite)
        print(f"\n{suite.name} ({args.preset}) -> {out}")
        print(runner.format_metrics(metrics), end="")
        return 0
    from tuning import search

    best = search.tune(suite, config, out, args.tuner, args.max_trials, args.overwrite)
    print(runner.format_metrics(best), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except SeqsuiteError as err:
        print(f"seqsuite: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seqsuite: interrupted; rerun the same command to resume from the last "
              "finished epoch", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
