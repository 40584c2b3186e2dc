"""Malformed input, suite by suite: exit status 2, one stderr line, nothing written.

Every loader that reads a user's file is driven with the same table of
accidents. CHANGELOG.md (the 0.2 figures) records the table's size and its tracebacks (none).
"""

import os

import pytest

from seqsuite.cli import main

# suite -> (file name, a good header, a good row, extra --set fields)
FORMATS = {
    "forecasting": ("s.csv", "time,value", "1,2.5", []),
    "reservoir": ("s.csv", "time,value", "1,2.5", ["time_column=time"]),
    "sentiment": ("r.csv", "text,label", "a fine film,pos", []),
    "tagging": ("t.tsv", "def f\tKW NAME", "x = 1\tNAME OP NUM", []),
    "translation": ("p.tsv", "one\tuno", "two\tdos", []),
    "language_model": ("c.txt", "The quick brown fox.", "Jumps over the dog.", []),
    "speech": ("t.tsv", "a.wav\thello", "b.wav\tworld", []),
    "classification": ("s.csv", "id,x,y,label", "a,0.5,1.5,walk", []),
    "vision": ("t.tsv", "a.png\t12", "b.png\t34", []),
    "captioning": ("c.tsv", "image\tcaption", "a.png#0\ta small 3", []),
}


def _write(path, text: str | bytes):
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _cases(tmp_path, name, header, row):
    file = tmp_path / name
    wrong = header.replace(",", ";").replace("\t", ";") + "\n" + \
        row.replace(",", ";").replace("\t", ";") + "\n"
    blocker = _write(tmp_path / "plain", "x")
    (tmp_path / "folder").mkdir()
    return {
        "empty file": _write(file, ""),
        "header only": _write(file.with_stem("header"), header + "\n"),
        "one row": _write(file.with_stem("one"), f"{header}\n{row}\n"),
        "binary file": _write(file.with_stem("binary"), bytes(range(256)) * 64),
        "wrong delimiter": _write(file.with_stem("wrong"), wrong),
        "latin-1 text": _write(file.with_stem("latin"), f"{header}\n{row} caf\xe9\n".encode("latin-1")),
        "directory": tmp_path / "folder",
        "path under a file": blocker / name,
        "huge line": _write(file.with_stem("huge"), "x" * 2_000_000),
    }


CASES = ["empty file", "header only", "one row", "binary file", "wrong delimiter",
         "latin-1 text", "directory", "path under a file", "huge line"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("suite", sorted(FORMATS))
def test_malformed_input_gets_one_line_and_writes_nothing(suite, case, tmp_path, capsys):
    name, header, row, extra = FORMATS[suite]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    path = _cases(inputs, name, header, row)[case]
    if suite == "language_model" and case in ("wrong delimiter", "header only", "huge line"):
        pytest.skip("any UTF-8 text is a valid corpus; too-short text is the 'one row' case")
    before = sorted(os.listdir(inputs))
    out = tmp_path / "run"
    code = main(["train", suite, "--preset", "smoke", "--set", f"data={path}", *extra,
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, f"{suite} accepted '{case}'"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqsuite: error:"), err
    assert "Traceback" not in err
    assert not out.exists()
    assert sorted(os.listdir(inputs)) == before
