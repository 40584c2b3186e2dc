"""File safety: seqsuite never deletes or overwrites anything it did not create.

Every directory seqsuite writes (run directories, exports, tuner folders,
caches) carries a marker file, `.seqsuite`. Only a marked directory is ever
replaced, and only when the user asked for it (`--overwrite`). A replacement
is written beside its target and moved into place at the end, so an
interrupted write leaves the previous version intact and nothing half-written
where a user or a server would look. A directory being written holds a lock,
so a second process given the same directory stops with one line instead of
writing into it too.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from pathlib import Path

from seqsuite.shared.errors import ConfigError

MARKER = ".seqsuite"
LOCK = ".seqsuite.lock"


def is_ours(path: Path) -> bool:
    return (Path(path) / MARKER).is_file()


def is_empty(path: Path) -> bool:
    """Whether a directory holds nothing (a writer's lock file aside)."""
    return all(child.name == LOCK for child in Path(path).iterdir())


def mark(directory: Path, what: str) -> None:
    (Path(directory) / MARKER).write_text(f"written by seqsuite: {what}\n")


def check_parent(path: Path, flag: str) -> None:
    """Refuse a path that lies under an existing file."""
    for parent in Path(path).absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"{flag} {path}: {parent} is a file, not a directory; "
                                  "choose a path under a directory")
            if not os.access(parent, os.W_OK):
                raise ConfigError(f"{flag} {path}: {parent} is not writable; choose another path")
            return


def check_target(path: Path, overwrite: bool, flag: str) -> bool:
    """Whether `path` can be (re)written; True when something of ours is there to replace.

    Refuses a file, a non-empty directory seqsuite did not create, and one it
    did create unless `overwrite`.
    """
    path = Path(path)
    check_parent(path, flag)
    if not path.exists():
        return False
    if not path.is_dir():
        raise ConfigError(f"{flag} {path} is an existing file; choose a directory path")
    if is_empty(path):
        return False
    if not is_ours(path):
        raise ConfigError(f"{flag} {path} is a directory seqsuite did not create; it is left "
                          "alone: choose a new or empty directory")
    if not overwrite:
        raise ConfigError(f"{flag} {path} already holds seqsuite output; pass --overwrite to "
                          "replace it, or choose another path")
    return True


def staging_path(path: Path) -> Path:
    """The sibling a replacement of `path` is written into before it moves into place."""
    path = Path(path)
    return path.with_name(f".{path.name}.seqsuite-new")


def move_into_place(staged: Path, path: Path) -> None:
    """Replace `path` (empty, absent or ours) by `staged` with renames only."""
    staged, path = Path(staged), Path(path)
    old = path.with_name(f".{path.name}.seqsuite-old")
    if old.exists() and is_ours(old):
        shutil.rmtree(old)
    if path.exists():
        if not is_empty(path) and not is_ours(path):  # checked before; never delete theirs
            raise ConfigError(f"{path} changed while seqsuite was writing; left alone")
        os.replace(path, old)
    os.replace(staged, path)
    if old.exists():
        shutil.rmtree(old)


@contextlib.contextmanager
def replacing(path: Path, overwrite: bool, what: str, flag: str = "--out"):
    """Yield a marked staging directory that becomes `path` when the block succeeds.

    On any error the staging directory is removed and `path` is untouched.
    """
    path = Path(path)
    check_target(path, overwrite, flag)
    staged = staging_path(path)
    if staged.exists() and is_ours(staged):
        shutil.rmtree(staged)
    staged.mkdir(parents=True)
    try:
        mark(staged, what)
        yield staged
        move_into_place(staged, path)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


class DirectoryLock:
    """An exclusive lock on a directory for as long as this process writes into it."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.handle = None

    def acquire(self) -> DirectoryLock:
        path = self.directory / LOCK
        self.handle = path.open("a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            self.handle.close()
            self.handle = None
            if err.errno in (errno.EAGAIN, errno.EACCES):
                raise ConfigError(f"another seqsuite process is writing to {self.directory}; "
                                  "wait for it to finish or choose another --out") from err
            raise
        return self

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
            with contextlib.suppress(FileNotFoundError):
                (self.directory / LOCK).unlink()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def read_json(path: Path, missing: str):
    """A JSON file seqsuite wrote into a run; `missing` is the fix named when it is absent."""
    import json

    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"{path} not found: {missing}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} is not valid JSON; the run directory is damaged") from err


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to a sibling and rename it over `path`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a sibling and rename it over `path` (an `np.savez` into a
    BytesIO, say), so a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def native_stderr_closed():
    """File descriptor 2 pointed at nothing for the block: TensorFlow's native libraries
    (start-up lines, the TFLite converter's diagnostics) write there directly, past any
    Python setting; what a Python exception says still reaches the user, raised after
    the block."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
