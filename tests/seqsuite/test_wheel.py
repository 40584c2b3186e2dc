"""The built wheel installs `seqsuite` alone and works outside the checkout."""

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment outside the checkout with the wheel installed.

    Its dependencies (TensorFlow and the rest) come from this environment's
    site-packages through a .pth file, so nothing is downloaded.
    """
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy: an in-tree build would leave build/ and *.egg-info in the checkout.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "runs", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(work / "dist"), str(source)],
                   check=True, capture_output=True)
    (wheel,) = (work / "dist").glob("seqsuite-*.whl")
    env_dir = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    return wheel, env_dir, work


def _run(env_dir: Path, cwd: Path, *argv):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd,
                          env={**env, "PATH": f"{env_dir / 'bin'}:{env['PATH']}"})


@pytest.mark.slow
def test_wheel_holds_one_top_level_package(installed):
    wheel, _, _ = installed
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"seqsuite"}
    names = zipfile.ZipFile(wheel).namelist()
    assert "seqsuite/shared/cells/zoneout.py" in names
    assert "seqsuite/suites/forecasting/suite.py" in names
    assert not any(n.startswith(("seqsuite/tests", "seqsuite/notebooks")) for n in names)


@pytest.mark.slow
def test_installed_command_trains_and_models_load_after_one_import(installed):
    _, env_dir, work = installed
    listing = _run(env_dir, work, "seqsuite", "list")
    assert listing.returncode == 0 and "forecasting" in listing.stdout, listing.stderr
    train = _run(env_dir, work, "seqsuite", "train", "forecasting", "--preset", "smoke",
                 "--set", "data=sunspots", "epochs=1", "--out", "run")
    assert train.returncode == 0, train.stderr[-2000:]
    assert train.stderr == ""
    probe = (
        "import keras, seqsuite\n"
        "from seqsuite.layers import (ZoneoutCell, LayerNormLSTMCell, PeepholeLSTMCell,\n"
        "    BahdanauAttention, LuongAttention, AttentionWrapper, CRF, ESN, decode)\n"
        "assert 'site-packages' in seqsuite.__file__, seqsuite.__file__\n"
        "model = keras.saving.load_model('run/model.keras')\n"
        "print(type(model).__name__, seqsuite.ZoneoutCell is ZoneoutCell)\n"
    )
    loaded = _run(env_dir, work, str(env_dir / "bin" / "python"), "-c", probe)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split() == ["Functional", "True"]
