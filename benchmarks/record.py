"""Benchmark results as data: `benchmarks/results/<name>.json`, with their provenance.

Every script under `benchmarks/` measures, then hands its figures to `write_result`:

    prov = record.provenance(record.command_line("cells", argv), seeds=[0], preset=None)
    ...measure...
    record.write_result("cells", suite=SUITE, title=__doc__, provenance=prov, tables=[
        record.table("Training step", [record.column("layer", "Layer"),
                                       record.column("step_ms", "ms / step", ".1f")],
                     rows=[{"layer": "LSTM", "step_ms": record.median_spread(times)}])])

A result file holds one or more *sections* (a script's modes, e.g. `forecasting m3` and
`forecasting tourism`); writing one section keeps the others, each with its own
provenance: the command, seeds, preset, git commit, dates, load average and the machine
(cores, CPU model, memory, GPU or none). Tables are lists of rows (dicts keyed by column)
holding the numbers themselves; `python -m benchmarks.render` turns them into
docs/benchmarks/*.md. Timings are `median_spread(values)`: the median of several runs with
their minimum, maximum and quartiles, never the best run.

`SEQSUITE_BENCHMARK_RESULTS=DIR` writes the files to DIR instead (trial runs, tests).
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

FORMAT = "0.3"
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ENVIRONMENT = "SEQSUITE_BENCHMARK_RESULTS"
PACKAGES = ("tensorflow", "keras", "numpy", "scikit-learn", "statsforecast", "reservoirpy")


def results_dir() -> Path:
    """Where result files go: $SEQSUITE_BENCHMARK_RESULTS, or benchmarks/results."""
    return Path(os.environ.get(ENVIRONMENT) or RESULTS)


# -- provenance ---------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _gpus() -> list[str]:
    """GPU names from nvidia-smi, else from TensorFlow if a script has imported it."""
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=20, check=True).stdout
            names = [line.strip() for line in out.splitlines() if line.strip()]
            if names:
                return names
        except (OSError, subprocess.SubprocessError):
            pass
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:
            return [d.name for d in tf.config.list_physical_devices("GPU")]
        except Exception:  # provenance must never stop a benchmark
            return []
    return []


def machine() -> dict:
    """The machine: cores, CPU model, memory in GiB, GPUs (an empty list: none), platform."""
    return {"cores": os.cpu_count(), "cpu": _cpu_model(), "memory_gib": _memory_gib(),
            "gpus": _gpus(), "platform": f"{platform.system()} {platform.machine()}",
            "python": platform.python_version()}


def software() -> dict:
    """Versions of the packages the figures depend on (those installed), without importing them."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


# What a measurement writes or explains, not what it runs: edits there leave it clean.
NOT_MEASURED = (":(exclude)benchmarks/results", ":(exclude)docs", ":(exclude)*.md")


def git_commit() -> dict:
    """{"commit": HEAD or None, "dirty": whether tracked files that a benchmark runs differ
    from it (NOT_MEASURED: results, docs and Markdown do not count)}."""
    def git(*args):
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                              text=True, timeout=20, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", ".",
                         *NOT_MEASURED))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def command_line(name: str, argv=None) -> str:
    """`python -m benchmarks.<name> ARGS`, ARGS being `argv` or, when None, sys.argv[1:]."""
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python -m benchmarks." + name, shlex.join(args)]).strip()


def provenance(command: str, seeds=None, preset: str | None = None, **settings) -> dict:
    """Where figures come from; call it when measuring starts (`write_result` adds the end).

    `settings`: anything else that decides the figures (sizes, steps, repeats)."""
    return {"command": command,
            "seeds": None if seeds is None else [int(s) for s in seeds],
            "preset": preset, "settings": settings, **git_commit(), "started": _now(),
            "load_before": _load(), "machine": machine(), "software": software()}


# -- figures ------------------------------------------------------------------------------


def median_spread(values) -> dict:
    """The median of `values` with their spread: min, max, quartiles (inclusive method), n,
    and the values themselves in the order measured."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("median_spread needs at least one value")
    ordered = sorted(values)
    if len(values) > 1:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1],
            "q1": q1, "q3": q3, "n": len(values), "values": values}


def scaled(spread: dict, factor: float) -> dict:
    """`spread` (from `median_spread`) with every figure multiplied by `factor` (s -> ms)."""
    out = {k: (v * factor if k not in ("n", "values") else v) for k, v in spread.items()}
    out["values"] = [v * factor for v in spread["values"]]
    return out


def ratio(a: dict, b: dict) -> float:
    """Median of `a` over median of `b` (two `median_spread` figures)."""
    return a["median"] / b["median"]


def mean_error(values) -> dict:
    """{"mean", "sem" (standard error, ddof 1), "n", "values"} of `values`."""
    values = [float(v) for v in values]
    n = len(values)
    mean = sum(values) / n
    sem = statistics.stdev(values) / math.sqrt(n) if n > 1 else 0.0
    return {"mean": mean, "sem": sem, "n": n, "values": values}


def _styled(out: dict, format: str | None, suffix: str) -> dict:
    """`out` with how its numbers are shown: `format` (a spec such as ".3f"), `suffix`."""
    return {**out, **({"format": format} if format else {}), **({"suffix": suffix} if suffix else {})}


def column(key: str, label: str, format: str | None = None, suffix: str = "") -> dict:
    """A table column: rows' `key`, shown under `label`; numbers with `format` (a format
    spec such as ".3f") followed by `suffix`."""
    return _styled({"key": key, "label": label}, format, suffix)


def table(title: str, columns: list[dict], rows: list[dict], notes=()) -> dict:
    """A table of figures; `notes`: sentences printed under it (what a column means)."""
    keys = {c["key"] for c in columns}
    for row in rows:
        missing = keys - set(row)
        if missing:
            raise ValueError(f"table {title!r}: a row has no {sorted(missing)}")
    return {"title": title, "columns": columns, "rows": rows, "notes": list(notes)}


def formatted(value, format: str, suffix: str = ""):
    """`value` (a number or a figure such as `median_spread`) shown with its own `format`,
    for a column whose rows hold different kinds of figure."""
    return _styled(value if isinstance(value, dict) else {"value": value}, format, suffix)


def headline(label: str, value, format: str | None = None, suffix: str = "") -> dict:
    """One figure for the index page."""
    return _styled({"label": label, "value": value}, format, suffix)


def _plain(value):
    """JSON-ready: NumPy scalars and arrays to Python, tuples to lists, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "tolist"):  # NumPy scalar or array
        return _plain(value.tolist())
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not a figure: {value!r}")


def write_json(path: Path, data: dict) -> None:
    """Write `data` as JSON to `path` atomically."""
    write_text(path, json.dumps(_plain(data), indent=1, ensure_ascii=False, allow_nan=False)
               + "\n")


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (a temporary file in the same folder, renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def summary(doc: str) -> str:
    """A docstring's first paragraph on one line, without its final full stop: a
    benchmark's title."""
    paragraph = doc.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split()).rstrip(".")


def read_result(path: Path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: format {data.get('format')!r}, expected {FORMAT!r}")
    return data


def write_result(name: str, *, suite: str, title: str, provenance: dict, tables: list[dict],
                 section: str = "main", section_title: str | None = None,
                 headline: list[dict] = (), results: Path | None = None) -> Path:
    """Record one section of benchmark `name` in `<results>/<name>.json` (atomically),
    keeping the file's other sections; returns the path.

    `title`: the benchmark's description (its docstring will do: its first paragraph is kept);
    `headline`: a few figures (`headline(...)`) for the index page."""
    path = (results or results_dir()) / f"{name}.json"
    sections = {}
    if path.exists():
        try:
            sections = read_result(path)["sections"]
        except (ValueError, KeyError, json.JSONDecodeError):
            pass  # an older or broken file: this section starts it again
    data = {"format": FORMAT, "benchmark": name, "suite": suite,
            "title": summary(title), "sections": sections}
    sections[section] = {
        "title": section_title or section, "provenance": {
            **provenance, "finished": _now(), "load_after": _load()},
        "headline": list(headline), "tables": tables}
    write_json(path, data)
    from benchmarks import render

    print("\n" + render.section_markdown(read_result(path)["sections"][section], level=2))
    print(f"recorded {path}", flush=True)
    return path
