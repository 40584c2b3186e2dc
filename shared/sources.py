"""Reading a user's data sources: one place for the checks and the one-line errors.

- `read_text(path)`: a UTF-8 text file, refusing a missing path, a directory,
  a binary file and other encodings with a `DataError` that names the fix.
- `load_tfds(name, split)`: a TensorFlow Datasets split, offline by default.
  seqsuite downloads nothing behind a user's back: a dataset that is not
  already prepared in the TFDS data directory is refused at once, with the
  command that prepares it; `download=True` (`--set download=true`) lets TFDS
  download and prepare it.
"""

from __future__ import annotations

from pathlib import Path

from seqsuite.shared.errors import DataError

_SNIFF = 8192  # bytes read to tell text from binary


def check_file(path: Path, what: str = "data file", fix: str = "pass an existing file") -> Path:
    """`path` as a Path if it is a readable regular file; a DataError otherwise."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{what} '{path}' is a directory; {fix}")
    if not path.exists():
        raise DataError(f"{what} '{path}' not found; {fix}")
    if not path.is_file():
        raise DataError(f"{what} '{path}' is not a regular file; {fix}")
    return path


def read_text(path: Path, what: str = "data file", fix: str = "pass an existing file") -> str:
    """The whole UTF-8 text of `path` (a BOM is dropped)."""
    path = check_file(path, what, fix)
    raw = path.read_bytes()
    if b"\x00" in raw[:_SNIFF]:
        raise DataError(f"{what} '{path}' is a binary file, not text; pass a UTF-8 text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{what} '{path}' is not UTF-8 text (byte {err.start}); "
                        "re-save it as UTF-8") from err


def load_tfds(name: str, split: str, download: bool = False, **as_dataset_kwargs):
    """`split` of the TFDS dataset `name` as a tf.data.Dataset, without a download
    unless `download`."""
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name)
    except Exception as err:  # tfds raises several types for an unknown name or config
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"unknown TFDS dataset '{name}' ({first[:120]}); check the name "
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
        return builder.as_dataset(split=split, **as_dataset_kwargs)
    except Exception as err:
        raise DataError(f"TFDS dataset '{name}' has no usable split '{split}' "
                        f"({type(err).__name__}); check the dataset's splits") from err
