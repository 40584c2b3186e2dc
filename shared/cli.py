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

    u = sub.add_parser("tune", help="hyperparameter search with keras-tuner")
    run_options(u)
    u.add_argument("--tuner", default="random",
                   help="random, grid, bayesian or hyperband (default random)")
    u.add_argument("--max-trials", type=int, default=10, help="trials to run (default 10)")
    u.add_argument("--overwrite", action="store_true", help="start the search afresh")
    return p


def run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from shared import runner

    if args.command == "list":
        for name in runner.suite_names():
            print(f"{name:<16}{runner.get_suite(name).description}")
        return 0
    if args.command == "evaluate":
        print(runner.format_metrics(runner.evaluate_run(args.run)), end="")
        return 0
    if args.command == "export":
        print(f"SavedModel written to {runner.export_run(args.run, args.out)}")
        return 0
    if args.command == "translate":
        suite, config, model = runner.load_run(args.run)
        if not hasattr(suite.train, "translate"):
            raise SeqsuiteError(f"{args.run} is a {suite.name} run; translate needs a "
                                "translation run")
        if args.method not in ("beam", "greedy", "sample"):
            raise SeqsuiteError(f"unknown --method '{args.method}'; use beam, greedy or sample")
        for line in suite.train.translate(model, config, args.texts, args.method):
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
