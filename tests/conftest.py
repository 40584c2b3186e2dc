import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


import contextlib  # noqa: E402
import fcntl  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402

import pytest  # noqa: E402


@contextlib.contextmanager
def _locked(path):
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """`smoke_run(suite, *overrides)`: the directory of a finished smoke run, trained once
    per test session and shared by every test file and pytest-xdist worker that asks for
    the same run (a file lock keeps two workers from training it twice). Treat it as
    read-only: copy it before damaging or replacing anything in it."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "smoke-runs"
    root.mkdir(exist_ok=True)

    def get(suite: str, *overrides: str):
        from seqsuite.cli import main

        key = hashlib.sha1(json.dumps([suite, sorted(overrides)]).encode()).hexdigest()[:10]
        out = root / f"{suite}-{key}"
        with _locked(root / f"{suite}-{key}.lock"):
            if not (out / "run.json").is_file():
                argv = ["train", suite, "--preset", "smoke", "--out", str(out), "--overwrite"]
                if overrides:
                    argv += ["--set", *overrides]
                # `runner.prepare` seeds after loading the data, so a global seed an earlier
                # test left set would change the data order; clear it, as a fresh process has.
                import tensorflow as tf

                tf.random.set_seed(None)
                assert main(argv) == 0, f"smoke training of {suite} failed"
        return out

    return get
