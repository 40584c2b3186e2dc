"""The `seqsuite` command: list, train, evaluate, export and tune the suites.

    seqsuite list
    seqsuite train forecasting --preset quick --set cell=gru --set units=64 --out runs/f1
    seqsuite evaluate --run runs/f1 [--set test_data=new.tsv]
    seqsuite export --run runs/f1 [--out DIR]
    seqsuite tune forecasting --tuner bayesian --max-trials 10 --out runs/tune1
    seqsuite tune forecasting --workers 2 --out runs/tune2          (chief + 2 local workers)
    seqsuite tune ... --role chief --listen 0.0.0.0:8000 | --role worker --oracle H:8000 --worker-id w1
    TF_CONFIG=... seqsuite train forecasting --strategy multi_worker --out runs/mw
    seqsuite translate --run runs/dates "3rd of March 1998"
    seqsuite transcribe --run runs/speech a.wav b.wav
    seqsuite read --run runs/vision line.png
    seqsuite backtest --run runs/f1 --origins 12 [--stride 4]
    seqsuite forecast --run runs/f1 [--data new.csv]
    seqsuite caption --run runs/captioning scene.png

Errors in the user's input print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys

from seqsuite import __version__
from seqsuite.shared.errors import SeqsuiteError

VERBOSE_ENV = "SEQSUITE_VERBOSE"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # argparse prints usage plus the error; one line with the fix is kinder.
        raise SeqsuiteError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="seqsuite", description="Keras 3 sequence-modelling suites.")
    p.add_argument("--version", action="version", version=f"seqsuite {__version__}")
    p.add_argument("--verbose", action="store_true",
                   help=f"show TensorFlow's start-up and warning lines (or set {VERBOSE_ENV}=1)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="list the suites")

    def overrides(sp, what="override config fields: --set a=1 b=2"):
        sp.add_argument("--set", dest="overrides", action="extend", nargs="+", default=[],
                        metavar="KEY=VALUE", help=what)

    def run_options(sp):
        sp.add_argument("suite", help="suite name (see `seqsuite list`)")
        sp.add_argument("--preset", default="quick", help="smoke, quick or full (default quick)")
        overrides(sp)
        sp.add_argument("--out", default=None,
                        help="run directory (default runs/<suite>-<preset>)")

    t = sub.add_parser("train", help="train a suite and write a run directory")
    run_options(t)
    t.add_argument("--overwrite", action="store_true",
                   help="replace a finished run in --out (only a seqsuite run is ever replaced)")
    t.add_argument("--strategy", default=None,
                   help="train data-parallel with tf.distribute: mirrored (local devices) or "
                   "multi_worker (cluster from TF_CONFIG)")

    e = sub.add_parser("evaluate", help="measure a finished run again (trains nothing)")
    e.add_argument("--run", required=True, help="run directory")
    overrides(e, "point data fields elsewhere, e.g. --set test_data=new.tsv")
    e.add_argument("--name", default=None, help="folder under RUN/evaluations/ for this "
                   "evaluation (default: the repointed data file's name, or rerun; never reused)")

    x = sub.add_parser("export", help="export a finished run as a SavedModel")
    x.add_argument("--run", required=True, help="run directory")
    x.add_argument("--out", default=None, help="SavedModel directory (default RUN/export)")
    x.add_argument("--overwrite", action="store_true",
                   help="replace an existing seqsuite export at --out")
    x.add_argument("--tflite", action="store_true", help="write the stream signature as a "
                   "TensorFlow Lite model (default RUN/stream.tflite) instead")
    x.add_argument("--quantize", default="none", choices=("none", "dynamic"),
                   help="with --tflite: dynamic stores the weights as int8 (default none)")

    # Inference commands come from the suites' declarations (`config.COMMANDS`): each
    # takes `--run RUN`, and the rest of the line is parsed by the declaration of the
    # run's suite (`_inference`), so suites may give one name different arguments.
    for name, declared in inference_commands().items():
        suites = ", ".join(suite for suite, _ in declared)
        ic = sub.add_parser(name, help=f"{declared[0][1].help} ({suites})", add_help=False)
        ic.add_argument("-h", "--help", action="store_true", help="show this command's help")
        ic.add_argument("--run", default=None, help="run directory")
    u = sub.add_parser("tune", help="hyperparameter search with keras-tuner")
    run_options(u)
    u.add_argument("--tuner", default="random",
                   help="random, grid, bayesian or hyperband (default random)")
    u.add_argument("--max-trials", type=int, default=10, help="trials to run (default 10)")
    u.add_argument("--overwrite", action="store_true", help="start the search afresh")
    u.add_argument("--workers", type=int, default=0,
                   help="run the search with this many local worker processes (default 0: "
                   "one process)")
    u.add_argument("--role", default=None, help="chief or worker, for a search across machines")
    u.add_argument("--listen", default=None, metavar="HOST:PORT",
                   help="where the chief serves the oracle (--role chief)")
    u.add_argument("--oracle", default=None, metavar="HOST:PORT",
                   help="the chief a worker asks for trials (--role worker)")
    u.add_argument("--worker-id", default=None, help="this worker's id (--role worker)")
    return p


def _distributed_options(args) -> dict:
    """Check the distributed-tuning options (before TensorFlow loads)."""
    from seqsuite.tuning import distributed

    if args.workers < 0:
        raise SeqsuiteError(f"--workers must be >= 0, got {args.workers}")
    if args.role is not None and args.role not in distributed.ROLES:
        raise SeqsuiteError(f"unknown --role '{args.role}'; use chief or worker")
    if args.workers and args.role:
        raise SeqsuiteError("--workers starts its own chief and workers; leave out --role")
    if args.role == "chief":
        if not args.listen:
            raise SeqsuiteError("--role chief needs --listen HOST:PORT, e.g. --listen 0.0.0.0:8000")
        distributed.check_port_free(*distributed.parse_address(args.listen, "--listen"))
    if args.role == "worker":
        if not args.oracle or not args.worker_id:
            raise SeqsuiteError("--role worker needs --oracle HOST:PORT and --worker-id ID")
        distributed.parse_address(args.oracle, "--oracle")
        distributed.check_worker_id(args.worker_id)
    if not args.role and (args.listen or args.oracle or args.worker_id):
        raise SeqsuiteError("--listen, --oracle and --worker-id need --role chief or worker")
    command = [sys.executable, "-m", "seqsuite.cli", "tune", args.suite, "--preset", args.preset,
               "--tuner", args.tuner, "--max-trials", str(args.max_trials)]
    if args.overrides:
        command += ["--set", *args.overrides]
    return {"workers": args.workers, "role": args.role, "listen": args.listen,
            "oracle": args.oracle, "worker_id": args.worker_id, "worker_command": command}


def inference_commands() -> dict[str, list]:
    """{command name: [(suite name, Command), ...]} over every registered suite."""
    from seqsuite import registry

    found = {}
    for name in registry.names():
        for command in registry.commands(name):
            found.setdefault(command.name, []).append((name, command))
    return found


def _inference(argv: list[str], name: str, run: str | None, wants_help: bool):
    """(suite name, Command, its checked arguments) for `seqsuite NAME --run RUN ...`."""
    from seqsuite import registry

    declared = inference_commands()[name]
    prog = f"seqsuite {name}"
    if run is None:
        if wants_help:
            for suite, command in declared:
                print(f"{suite} runs:")
                command.parser(prog).print_help()
                print()
            raise SystemExit(0)
        raise SeqsuiteError(f"{prog} needs --run RUN, the directory of a finished run of "
                            f"{' or '.join(suite for suite, _ in declared)}")
    suite = registry.suite_of_run(run)
    command = next((c for s, c in declared if s == suite), None)
    if command is None:
        raise SeqsuiteError(f"{run} is a {suite} run, which has no `{name}`; use a run of "
                            f"{' or '.join(s for s, _ in declared)}")
    rest = argv[argv.index(name) + 1:]
    return suite, command, command.parse(rest, prog)


def quiet(verbose: bool) -> None:
    """Keep TensorFlow's, absl's and the libraries' start-up chatter off the terminal.

    Must run before TensorFlow is imported: its C++ logging reads the
    environment once, at import.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if verbose:
        return
    import logging
    import warnings

    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore")
    for name in ("tensorflow", "absl", "keras", "keras_tuner", "tensorflow_datasets", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextlib.contextmanager
def _start_up(verbose: bool):
    """Import TensorFlow with file descriptor 2 closed to its C++ start-up lines.

    TensorFlow's native libraries log (oneDNN, CUDA probing) before absl's
    logging is initialised, so no environment variable silences them; what a
    Python exception says still reaches the user, raised after the block.
    """
    if verbose:
        yield
        return
    from seqsuite.shared.run.files import native_stderr_closed

    with native_stderr_closed():
        yield


def run(argv: list[str]) -> int:
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    inference = inference_commands()
    if args.command not in inference and unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "export" and args.quantize != "none" and not args.tflite:
        parser.error("--quantize applies to a TensorFlow Lite export; add --tflite")
    verbose = args.verbose or os.environ.get(VERBOSE_ENV, "") not in ("", "0")
    quiet(verbose)
    from seqsuite import registry

    if args.command == "list":
        for name in registry.names():
            print(f"{name:<16}{registry.describe(name)}")
        return 0
    if args.command in ("train", "tune"):
        # Everything the user typed is checked here, before TensorFlow loads.
        config = registry.resolve_config(args.suite, args.preset, args.overrides)
        out = args.out or f"runs/{args.suite}-{args.preset}" + (
            "-tune" if args.command == "tune" else "")
        if args.command == "tune" and args.role == "worker" and not args.out:
            out += f"-{args.worker_id}"  # a worker never writes the chief's directory
        from seqsuite.shared.run import files

        files.check_parent(out, "--out")
        if args.command == "tune":
            distributed = _distributed_options(args)
        else:
            from seqsuite.shared.run.strategy import check_strategy

            check_strategy(args.strategy)
    if args.command in inference:
        name, command, options = _inference(argv, args.command, args.run, args.help)
    if args.command in ("evaluate", "export"):
        name = registry.suite_of_run(args.run)
        if args.command == "evaluate":
            from seqsuite.shared.run.config import load_config, parse_overrides

            overrides = parse_overrides(args.overrides)
            load_config(registry.config_class(name)[0], args.run, overrides)  # checked early
    with _start_up(verbose):
        import seqsuite
        from seqsuite.shared.run import runner

        suite = registry.get(args.suite if args.command in ("train", "tune") else name)
        seqsuite.register()

    if args.command == "train":
        metrics = runner.train(suite, config, out, args.preset, args.overwrite, args.strategy)
        print(f"\n{suite.name} ({args.preset}) -> {out}")
        print(runner.format_metrics(metrics), end="")
        return 0
    if args.command == "tune":
        from seqsuite.tuning import search

        best = search.tune(suite, config, out, args.tuner, args.max_trials, args.overwrite,
                           **distributed)
        if args.role == "worker":
            print(f"{args.worker_id}: no trials left")
            return 0
        print(runner.format_metrics(best), end="")
        return 0
    if args.command == "evaluate":
        metrics, where = runner.Run(args.run, suite, overrides).evaluate(args.name)
        print(runner.format_metrics(metrics), end="")
        print(f"evaluation written to {where} (the training run's own files are unchanged)")
        return 0
    if args.command == "export" and args.tflite:
        path = runner.Run(args.run, suite).export_tflite(args.out, args.quantize, args.overwrite)
        print(f"TensorFlow Lite model written to {path} ({path.stat().st_size:,} bytes)")
        return 0
    if args.command == "export":
        path = runner.Run(args.run, suite).export(args.out, args.overwrite)
        print(f"SavedModel written to {path}")
        return 0
    for line in command.function(f"seqsuite.suites.{name}")(runner.Run(args.run, suite), options):
        print(line, flush=True)  # a streaming command's lines as they come
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except SeqsuiteError as err:
        print(f"seqsuite: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`seqsuite stream ... | head`): stop quietly, as Unix tools
        # do, with standard output pointed at nothing so the interpreter's own flush at
        # exit does not complain a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:
        # A full disk, a permission, a vanished file: the user's machine, not a bug.
        where = f" ({err.filename})" if err.filename else ""
        print(f"seqsuite: error: {err.strerror or err}{where}", file=sys.stderr)
        return 2
    except Exception as err:
        # A refusal a layer raises inside TensorFlow's graph (a sequence longer than a
        # learned position embedding) names its field: that line, not a traceback.
        found = re.search(r"a sequence is longer than \S+ allows; set --set \S+ with N at "
                          r"least its length", str(err))
        if found is None or type(err).__name__ != "InvalidArgumentError":
            raise
        print(f"seqsuite: error: {found[0]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        command = next((a for a in argv if not a.startswith("-")), "")
        training = command in ("train", "tune")
        print("seqsuite: interrupted" + ("; rerun the same command to resume from the last "
                                         "finished epoch" if training else ""),
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
