import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


import contextlib  # noqa: E402
import fcntl  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups into node ids
def pytest_collection_modifyitems(config, items):
    """Groups for `pytest-xdist --dist loadgroup` (`make test`): a test file runs whole on
    one worker (its module fixtures train once), and each suite's contract test joins its
    suite's file, so the smoke run both need is trained where both run and the contract
    file's minutes of work spread over the workers instead of landing on one."""
    tests = Path(__file__).parent
    for item in items:
        group = item.nodeid.split("::")[0]
        suite = getattr(getattr(item, "callspec", None), "params", {}).get("name")
        if group.endswith("test_contract.py") and suite:
            own = tests / "suites" / f"test_{suite}.py"
            if own.exists():
                group = str(own.relative_to(tests.parent))
        item.add_marker(pytest.mark.xdist_group(group))


def _train_word_lm(lines: list[str], root):
    """A tiny word-level language-model run (one epoch, 12 LSTM units, 8-wide embedding,
    lower-cased) on `lines`, in `root/run`; its path. For the `encoder_from` tests."""
    from seqsuite import registry
    from seqsuite.shared.run import runner

    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    suite = registry.get("language_model")
    config = runner.resolve_config(suite, "smoke", [
        f"data={corpus}", "tokens=word", "max_chars=0", "batch_size=4", "seq_length=20",
        "epochs=1", "units=12", "embedding_dim=8"])
    runner.train(suite, config, root / "run", "smoke")
    return root / "run"


@pytest.fixture(scope="session")
def train_word_lm():
    """`train_word_lm(lines, root)`: see `_train_word_lm`."""
    return _train_word_lm


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


# A long-lived child process with plain TensorFlow: it runs each script it is sent in a new
# namespace, as `python -c script` would, and fails the script if anything of seqsuite was
# imported. Starting TensorFlow once per worker instead of once per script saves seconds
# per serving test; the process never imports seqsuite, so what it loads proves the export
# stands alone.
_PLAIN_TENSORFLOW = r"""
import contextlib, io, json, os, sys, traceback
import numpy, tensorflow  # noqa: F401  (loaded once, reused by every script)
replies = sys.stdout
for line in sys.stdin:
    request = json.loads(line)
    out, err, code = io.StringIO(), io.StringIO(), 0
    try:
        os.chdir(request["cwd"])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(compile(request["script"], "<script>", "exec"), {"__name__": "__main__"})
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    except BaseException:
        code = 1
        err.write(traceback.format_exc())
    tainted = any(m == "seqsuite" or m.startswith("seqsuite.") for m in sys.modules)
    if tainted:
        code = 1
        err.write("the script imported seqsuite: the export must stand alone")
    replies.write(json.dumps({"returncode": code, "stdout": out.getvalue(),
                              "stderr": err.getvalue(), "exits": tainted}) + "\n")
    replies.flush()
    if tainted:
        break  # no longer plain: the next script gets a new process
"""


@pytest.fixture(scope="session")
def plain_tensorflow(tmp_path_factory):
    """`plain_tensorflow(script, cwd=None)`: runs `script` as `python -c script` would, in a
    process that has imported TensorFlow and nothing of seqsuite, and returns a
    `subprocess.CompletedProcess` (returncode, stdout, stderr)."""
    import subprocess
    import sys

    log = tmp_path_factory.mktemp("plain-tensorflow") / "stderr.log"
    processes = []

    def start():
        with open(log, "a") as stderr:
            processes.append(subprocess.Popen(
                [sys.executable, "-c", _PLAIN_TENSORFLOW], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=log.parent,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}))

    def run(script: str, cwd=None) -> subprocess.CompletedProcess:
        if not processes or processes[-1].poll() is not None:
            start()
        process = processes[-1]
        process.stdin.write(json.dumps({"script": script, "cwd": str(cwd or log.parent)}) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the plain TensorFlow process died: {log.read_text()[-2000:]}")
        reply = json.loads(line)
        if reply["exits"]:
            process.wait(timeout=60)
        return subprocess.CompletedProcess(["python", "-c", script], reply["returncode"],
                                           reply["stdout"], reply["stderr"])

    yield run
    for process in processes:
        process.stdin.close()
        process.wait(timeout=60)
