"""User-facing errors: one line that names the problem and the fix.

The CLI prints these without a traceback and exits with status 2; anything
else that escapes is a bug and keeps its traceback.
"""


class SeqsuiteError(Exception):
    """Base class for errors caused by the user's input, not by a bug."""


class ConfigError(SeqsuiteError):
    """An unknown suite, preset or config key, or a value of the wrong type."""


class DataError(SeqsuiteError):
    """A data file or dataset that cannot be used as given."""


class TrainingError(SeqsuiteError):
    """Training diverged or the run directory is in a state we must not overwrite."""


class MissingExtraError(SeqsuiteError):
    """A suite whose packages, its extra (`pip install 'seqsuite[<suite>]'`), are not installed."""
