"""MkDocs hook: lays out the installed package `seqsuite` for mkdocstrings.

The repository keeps the package's parts in separate folders (setup.py maps
`shared/` to `seqsuite.shared`, `suites/` to `seqsuite.suites`, `tuning/` to
`seqsuite.tuning`). griffe reads source statically and needs one folder named
`seqsuite` holding them all, so this hook builds `.api/seqsuite/` (git-ignored)
from links to the real files before the API pages are rendered. Nothing is
imported. Where symbolic links are not allowed, the files are copied instead.

It also fills the navigation's Benchmarks section with the pages that
`python -m benchmarks.render` generated in docs/benchmarks/ (one per measured
suite, in suite order), so a newly measured suite needs no edit of mkdocs.yml.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / ".api"
FOLDERS = {"shared": "shared", "suites": "suites", "tuning": "tuning"}  # inside seqsuite/


def _link(target: Path, link: Path) -> None:
    try:
        link.symlink_to(target, target_is_directory=target.is_dir())
    except OSError:
        if target.is_dir():
            shutil.copytree(target, link, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(target, link)


def build_tree() -> Path:
    """Rebuild `.api/seqsuite` and return `.api`, the folder for mkdocstrings' `paths`."""
    package = TREE / "seqsuite"
    if TREE.exists():
        shutil.rmtree(TREE)
    package.mkdir(parents=True)
    (TREE / ".gitignore").write_text("*\n")
    for item in sorted((ROOT / "seqsuite").iterdir()):
        if item.name != "__pycache__" and item.name not in FOLDERS:
            _link(item, package / item.name)
    for name, folder in FOLDERS.items():
        _link(ROOT / folder, package / name)
    return TREE


def on_startup(command, dirty, **kwargs):
    """Build the tree before any plugin is configured: mkdocstrings checks its `paths` early."""
    build_tree()


def benchmark_nav(nav: list) -> list:
    """`nav` with its `Benchmarks: benchmarks/index.md` entry made a section of the index
    and the generated suite pages (`benchmarks.render.nav`)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import render  # the standard library only, no TensorFlow

    out = []
    for item in nav:
        if isinstance(item, dict) and item.get("Benchmarks") == "benchmarks/index.md":
            item = {"Benchmarks": render.nav(ROOT / "docs" / "benchmarks")}
        out.append(item)
    return out


def on_config(config, **kwargs):
    """Rebuild the tree on every `mkdocs serve` reload as well, so copies stay fresh; fill
    in the benchmark pages."""
    build_tree()
    config["nav"] = benchmark_nav(config["nav"])
    return config
