"""`benchmarks.render`: pages from result files, and the check that keeps them in step."""

import ast
import importlib
import os
import re

import pytest

from benchmarks import record, render

SCRIPT = '''"""{title}

More about it.
"""

SUITE = "{suite}"


def main(argv=None):
    return 0
'''


@pytest.fixture
def folders(tmp_path):
    """(scripts, results, docs): two benchmark scripts, a result for the first, no pages."""
    scripts, results, docs = tmp_path / "scripts", tmp_path / "results", tmp_path / "docs"
    scripts.mkdir()
    (scripts / "alpha.py").write_text(SCRIPT.format(title="Alpha: how fast.", suite="cli"))
    (scripts / "beta.py").write_text(SCRIPT.format(title="Beta: how good.", suite="zeta"))
    (scripts / "record.py").write_text('"""Not a benchmark."""\n')
    prov = record.provenance("python -m benchmarks.alpha --repeats 3", seeds=[0],
                             repeats=3)
    table = record.table(
        "Wall time", [record.column("case", "case"), record.column("wall_s", "wall s", ".2f"),
                      record.column("target", "< 1 s")],
        [{"case": "list", "wall_s": record.median_spread([0.2, 0.1, 0.3]), "target": True},
         {"case": "a|b", "wall_s": record.median_spread([1.5]), "target": False}],
        notes=["Two cases."])
    record.write_result("alpha", suite="cli", title="Alpha: how fast.", provenance=prov,
                        tables=[table], section_title="Answers",
                        headline=[record.headline("slowest", 1.5, ".2f", " s")],
                        results=results)
    return scripts, results, docs


def _args(scripts, results, docs):
    return ["--results", str(results), "--docs", str(docs), "--scripts", str(scripts)]


def test_scripts_reads_suite_and_title_without_importing(folders):
    scripts, _, _ = folders
    assert render.scripts(scripts) == {"alpha": {"suite": "cli", "title": "Alpha: how fast"},
                                       "beta": {"suite": "zeta", "title": "Beta: how good"}}
    (scripts / "gamma.py").write_text('"""No suite."""\n')
    with pytest.raises(SystemExit, match="needs SUITE"):
        render.scripts(scripts)


def test_render_a_small_result(folders):
    scripts, results, docs = folders
    pages = render.render(results, docs, scripts)
    assert sorted(p.name for p in pages) == ["cli.md", "index.md"]
    page = pages[docs / "cli.md"]
    assert page.startswith("# Benchmarks: Command line\n")
    assert render.MARK in page
    assert "## Alpha: how fast\n\nCommand: `python -m benchmarks.alpha`" in page
    assert "### Answers" in page
    assert "| list | 0.20 (0.10–0.30) | PASS |" in page
    assert r"| a\|b | 1.50 (1 run) | MISS |" in page
    assert "Two cases. A cell with a range is the median (min–max) of 3 measurements." in page
    provenance = next(line for line in page.splitlines() if line.startswith("*Provenance:*"))
    assert "`python -m benchmarks.alpha --repeats 3`" in provenance
    assert "seeds 0" in provenance and "repeats=3" in provenance and "cores" in provenance
    index = pages[docs / "index.md"]
    assert index.startswith("# Benchmarks\n")
    assert "- [Command line](cli.md)" in index
    assert f"- Zeta ({render.NOT_MEASURED})" in index
    assert "| [Command line](cli.md#alpha) | `alpha` | slowest 1.50 s |" in index
    assert f"| Zeta | `beta` | {render.NOT_MEASURED} | – |" in index


def test_check_fails_on_a_page_edited_by_hand_and_passes_after_rendering(folders, capsys):
    scripts, results, docs = folders
    args = _args(scripts, results, docs)
    assert render.main(["--check", *args]) == 1  # nothing rendered yet
    assert render.main(args) == 0
    assert render.main(["--check", *args]) == 0

    page = docs / "cli.md"
    page.write_text(page.read_text().replace("0.20 (0.10–0.30)", "0.15 (0.10–0.30)"))
    capsys.readouterr()
    assert render.main(["--check", *args]) == 1
    assert "0.15 (0.10–0.30)" in capsys.readouterr().err
    assert render.main(args) == 0
    assert render.main(["--check", *args]) == 0

    # A generated page that no result gives any more is reported, then removed.
    (docs / "old.md").write_text(f"# Old\n\n{render.MARK}\n")
    (docs / "notes.md").write_text("# Written by hand\n")  # not generated: left alone
    assert render.main(["--check", *args]) == 1
    assert render.main(args) == 0
    assert not (docs / "old.md").exists() and (docs / "notes.md").exists()
    assert render.main(["--check", *args]) == 0


def test_check_fails_when_a_result_changes_without_rendering(folders):
    scripts, results, docs = folders
    args = _args(scripts, results, docs)
    render.main(args)
    record.write_result("beta", suite="zeta", title="Beta", results=results, tables=[],
                        provenance=record.provenance("python -m benchmarks.beta"))
    assert render.main(["--check", *args]) == 1
    assert render.main(args) == 0
    assert (docs / "zeta.md").exists()
    assert render.nav(docs) == ["benchmarks/index.md", {"Command line": "benchmarks/cli.md"},
                                {"Zeta": "benchmarks/zeta.md"}]


def test_index_keeps_its_title(folders):
    scripts, results, docs = folders
    docs.mkdir()
    (docs / "index.md").write_text("# Figures\n")
    pages = render.render(results, docs, scripts)
    assert pages[docs / "index.md"].startswith("# Figures\n\n" + render.MARK)


# -- the repository's own benchmarks ------------------------------------------------------


def test_committed_pages_agree_with_committed_results():
    problems = render.check(record.RESULTS, render.DOCS)
    assert not problems, "\n".join(problems) + "\nrun `python -m benchmarks.render`"


def _script_files():
    return sorted(p for p in render.SCRIPTS.glob("*.py") if p.stem not in render.NOT_SCRIPTS)


def test_every_benchmark_script_declares_its_suite_and_is_listed():
    known = render.scripts()
    assert set(known) == {p.stem for p in _script_files()}
    for name, script in known.items():
        assert script["suite"] in render.SUITES, f"{name}: add {script['suite']!r} to SUITES"


def test_every_benchmark_script_has_main_and_writes_its_result():
    for path in _script_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mains = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
        assert mains and [a.arg for a in mains[0].args.args] == ["argv"], path
        text = path.read_text(encoding="utf-8")
        assert "record.write_result(" in text, path
        assert 'if __name__ == "__main__":' in text, path


def test_make_bench_runs_every_benchmark_then_renders():
    makefile = (render.SCRIPTS.parent / "Makefile").read_text()
    bench = re.search(r"^bench:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    ran = re.findall(r"-m benchmarks\.(\w+)", bench)
    assert set(ran) - {"render"} == {p.stem for p in _script_files()}
    assert ran[-1] == "render"


def test_committed_results_name_known_benchmarks():
    known = render.scripts()
    for path in sorted(record.RESULTS.glob("*.json")):
        data = record.read_result(path)
        assert data["benchmark"] == path.stem and path.stem in known, path
        assert data["suite"] == known[path.stem]["suite"], path


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.stem for p in _script_files()])
def test_benchmark_script_parses_its_arguments(name, capsys, monkeypatch):
    """`--help` imports the script and its dependencies (TensorFlow for some) and builds
    its parser; nothing is measured. In this process, where TensorFlow is loaded already
    (a script's settings of the environment stay in a copy)."""
    monkeypatch.setattr(os, "environ", dict(os.environ))
    module = importlib.import_module(f"benchmarks.{name}")
    with pytest.raises(SystemExit) as stop:
        module.main(["--help"])
    assert stop.value.code == 0
    assert "usage:" in capsys.readouterr().out
