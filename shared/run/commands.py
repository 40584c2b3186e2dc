"""Inference commands declared as data: the suite states them, the command line builds them.

A suite lists its commands in `config.py` (light, so the command line can parse and check
every argument before TensorFlow loads) and passes the same tuple to its `Suite`:

    COMMANDS = (
        Command("generate", "sample text from a finished language-model run",
                run="train:generate",
                arguments=(Argument("--prompt", "text to continue", default=""),
                           Argument("--temperature", "softmax temperature", type=float,
                                    default=1.0, above=0.0))),
    )

`seqsuite generate --run RUN --prompt "the"` then finds the suite of RUN, parses the rest of
the line with that suite's declaration, checks every value, loads the run and calls
`run(run, args)`, where `run` is the `shared.run.directory.Run` (its `config`, `model`
and `path`) and `args` an `argparse.Namespace` of the declared arguments (`--top-k`
becomes `args.top_k`); the lines it returns are printed. Several suites may declare a
command of the same name (`predict`), each with its own arguments. A new command touches
only its suite.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
from collections.abc import Callable, Sequence
from typing import Any

from seqsuite.shared.errors import SeqsuiteError


class CommandParser(argparse.ArgumentParser):
    """argparse, with one line naming the fix instead of usage plus error."""

    def error(self, message):
        raise SeqsuiteError(f"{message} (see `{self.prog} --help`)")


@dataclasses.dataclass(frozen=True)
class Argument:
    """One argument of an inference command.

    Args:
        name: `"texts"` (positional) or `"--top-k"` (an option; `args.top_k`).
        help: what it is, shown by `--help`; the default is added to it.
        type: `str`, `int` or `float` (default `str`).
        default: value of an option left out (default None); a positional with a default
            may be left out (`[FILE]`).
        many: a positional that takes one or more values (default False).
        choices: the allowed values, or empty for any (default `()`).
        minimum: the smallest allowed number, inclusive (default None: no bound).
        above: a number the value must exceed (default None: no bound).
        existing_file: the value must name an existing file (default False).
    """

    name: str
    help: str
    type: type = str
    default: Any = None
    many: bool = False
    choices: tuple = ()
    minimum: float | None = None
    above: float | None = None
    existing_file: bool = False

    def __post_init__(self):
        if self.type not in (str, int, float):
            raise TypeError(f"Argument {self.name}: type must be str, int or float. "
                            f"Received: type={self.type!r}")
        if self.many and self.name.startswith("-"):
            raise TypeError(f"Argument {self.name}: only a positional takes many values")

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")

    @property
    def positional(self) -> bool:
        return not self.name.startswith("-")

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        if self.positional:
            if self.default is not None:  # an optional positional: `[FILE]`
                parser.add_argument(self.name, type=self.type, nargs="?", default=self.default,
                                    help=f"{self.help} (default {self.default!r})")
                return
            parser.add_argument(self.name, type=self.type, nargs="+" if self.many else None,
                                help=self.help)
            return
        shown = "none" if self.default is None else repr(self.default)
        parser.add_argument(self.name, type=self.type, default=self.default,
                            help=f"{self.help} (default {shown})")

    def check(self, value) -> None:
        """Raise SeqsuiteError naming the flag, the value and what is allowed."""
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if self.choices and item not in self.choices:
                raise SeqsuiteError(f"unknown {self.name} '{item}'; use "
                                    f"{', '.join(map(str, self.choices))}")
            if self.minimum is not None and item < self.minimum:
                raise SeqsuiteError(f"{self.name} must be >= {self.minimum:g}, got {item}")
            if self.above is not None and item <= self.above:
                raise SeqsuiteError(f"{self.name} must be > {self.above:g}, got {item}")
            if self.existing_file:
                from seqsuite.shared.data.sources import check_file

                check_file(item, f"{self.name} file", f"pass an existing file with {self.name}")


@dataclasses.dataclass(frozen=True)
class Command:
    """An inference command of a suite: `seqsuite NAME --run RUN [arguments]`.

    Args:
        name: the subcommand (`translate`, `predict`, ...).
        help: one line for `seqsuite --help`.
        run: `"module:function"` inside the suite's package (`"train:backtest"`), imported
            only when the command runs; the function takes `(run, args)` and returns the
            lines to print.
        arguments: the command's `Argument`s besides `--run` (default none).
    """

    name: str
    help: str
    run: str
    arguments: Sequence[Argument] = ()

    def __post_init__(self):
        if ":" not in self.run:
            raise TypeError(f"Command {self.name}: run must be 'module:function'. "
                            f"Received: run={self.run!r}")

    def parser(self, prog: str) -> argparse.ArgumentParser:
        parser = CommandParser(prog=prog, description=self.help)
        parser.add_argument("--run", required=True, help="run directory")
        for argument in self.arguments:
            argument.add_to(parser)
        return parser

    def parse(self, argv: Sequence[str], prog: str) -> argparse.Namespace:
        """The arguments of `argv` (`--run` included), each checked; before TensorFlow loads."""
        args = self.parser(prog).parse_args(list(argv))
        for argument in self.arguments:
            argument.check(getattr(args, argument.dest))
        return args

    def function(self, package: str) -> Callable[[Any, argparse.Namespace], list[str]]:
        """The function that runs the command, from the suite's `package`."""
        module, name = self.run.split(":")
        return getattr(importlib.import_module(f"{package}.{module}"), name)
