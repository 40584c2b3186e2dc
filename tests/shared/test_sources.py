"""shared.data.sources: UTF-8 files and offline TFDS, each refused with one line."""

import os
import time
from unittest import mock

import pytest
import tensorflow_datasets as tfds

from seqsuite import registry
from seqsuite.shared.data.sources import check_file, load_tfds, read_text
from seqsuite.shared.errors import DataError

FIX = "pass --set data=FILE"


def _one_line(info) -> str:
    message = str(info.value)
    assert "\n" not in message, message
    return message


def test_read_text_utf8_and_bom(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("café\nnaïve\n".encode())
    assert read_text(path) == "café\nnaïve\n"
    path.write_bytes(b"\xef\xbb\xbf" + "café".encode())  # Windows editors' BOM
    assert read_text(path) == "café"
    path.write_bytes(b"")
    assert read_text(path) == ""


def _make(path, kind):
    if kind == "directory":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif kind == "latin-1":
        path.write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    elif kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes here")
        os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind, message", [
    ("missing", "corpus '.*a.txt' not found; pass --set data=FILE"),
    ("directory", "corpus '.*a.txt' is a directory; pass --set data=FILE"),
    ("fifo", "corpus '.*a.txt' is not a regular file; pass --set data=FILE"),
    ("binary", "corpus '.*a.txt' is a binary file, not text; pass a UTF-8 text file"),
    ("latin-1", r"corpus '.*a.txt' is not UTF-8 text \(byte 3\); re-save it as UTF-8"),
])
def test_read_text_refuses_with_one_line(tmp_path, kind, message):
    path = _make(tmp_path / "a.txt", kind)
    with pytest.raises(DataError, match=message) as info:
        read_text(path, "corpus", FIX)
    _one_line(info)


def test_check_file_passes_a_binary_file_unless_text(tmp_path):
    path = _make(tmp_path / "a.bin", "binary")
    assert check_file(path, "data file", FIX) == path
    with pytest.raises(DataError, match="binary"):
        check_file(path, "data file", FIX, text=True)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty TFDS data directory, named by TFDS_DATA_DIR as a user would."""
    folder = tmp_path / "tensorflow_datasets"
    folder.mkdir()
    monkeypatch.setenv("TFDS_DATA_DIR", str(folder))
    return folder


def test_unprepared_dataset_is_refused_without_a_download(data_dir):
    with mock.patch.object(tfds.core.DatasetBuilder, "download_and_prepare") as download:
        with pytest.raises(DataError, match=f"'mnist' is not prepared in {data_dir}/mnist") as info:
            load_tfds("mnist", "train")
    download.assert_not_called()
    assert "tfds build mnist" in _one_line(info) and "--set download=true" in str(info.value)
    assert list(data_dir.iterdir()) == []


def test_download_failure_and_unknown_names_are_one_line(data_dir):
    offline = OSError("[Errno 101] Network is unreachable")
    with mock.patch.object(tfds.core.DatasetBuilder, "download_and_prepare", side_effect=offline):
        with pytest.raises(DataError, match="could not download and prepare 'mnist' .OSError.") as info:
            load_tfds("mnist", "train", download=True)
    _one_line(info)
    with pytest.raises(DataError, match="unknown TFDS dataset 'no_such_set'") as info:
        load_tfds("no_such_set", "train")
    _one_line(info)
    assert list(data_dir.iterdir()) == []


# One TFDS source per suite family that reads TFDS; each must go through
# shared.data.sources.load_tfds, offline unless --set download=true.
TFDS_SOURCES = [
    ("language_model", "tiny_shakespeare", ["batch_size=1"]),
    ("sentiment", "imdb_reviews", []),
    ("tagging", "conll2003", []),
    ("translation", "ted_hrlr_translate/pt_to_en", []),
]


@pytest.mark.parametrize("suite, name, extra", TFDS_SOURCES, ids=[s for s, *_ in TFDS_SOURCES])
def test_suites_refuse_unprepared_tfds_at_once(data_dir, suite, name, extra):
    config = registry.resolve_config(suite, "smoke", [f"data=tfds:{name}", *extra])
    load_data = registry.get(suite).load_data
    start = time.perf_counter()
    with pytest.raises(DataError, match=f"TFDS dataset '{name}' is not prepared in {data_dir}") \
            as info:
        load_data(config)
    # Refused from the local folder alone: no download, no network timeout.
    assert time.perf_counter() - start < 1.0
    _one_line(info)
    assert list(data_dir.iterdir()) == []
