"""The feature-based linear tagger every run is measured against: a linear-chain CRF
on classic hand-made token features (CRFsuite through python-crfsuite, as the
sklearn-crfsuite tutorial builds it), the tool a practitioner reaches for first.

Features of token i (Ratinaparkhi 1996; Toutanova et al. 2003 for the affixes):

    the word, lower-cased; its prefixes of 1-3 and suffixes of 1-4 characters;
    its shape (Xx, dd, x-x: runs of one character class collapsed); upper case,
    title case, digits, hyphen; the lower-cased words and shapes at i-2 .. i+2
    and the suffix of 3 at i-1 and i+1; sentence start and end.

Weights: elastic net (`C1` L1, `C2` L2), L-BFGS for at most `ITERATIONS`
iterations. The model file keeps only the features with non-zero weight.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.files import write_bytes_atomic

C1, C2, ITERATIONS = 0.1, 0.01, 150


def shape(word: str) -> str:
    """`Xx` for "Hello", `dd` for "1999" (a run of one class is one letter), `x-x` for
    "well-known"; other characters stay; non-ASCII letters count as their case."""
    out = []
    for ch in word:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdigit():
            c = "d"
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def token_features(tokens: list[str], i: int) -> list[str]:
    """The feature strings of `tokens[i]` (see the module docstring)."""
    word = tokens[i]
    lower = word.lower()
    out = ["bias", f"w={lower}", f"shape={shape(word)}"]
    out += [f"p{k}={lower[:k]}" for k in (1, 2, 3) if len(lower) >= k]
    out += [f"s{k}={lower[-k:]}" for k in (1, 2, 3, 4) if len(lower) >= k]
    if word.isupper():
        out.append("upper")
    if word.istitle():
        out.append("title")
    if any(ch.isdigit() for ch in word):
        out.append("digit")
    if "-" in word:
        out.append("hyphen")
    for offset in (-2, -1, 1, 2):
        j = i + offset
        if 0 <= j < len(tokens):
            other = tokens[j]
            out += [f"{offset}:w={other.lower()}", f"{offset}:shape={shape(other)}"]
            if abs(offset) == 1:
                out.append(f"{offset}:s3={other.lower()[-3:]}")
        elif abs(offset) == 1:
            out.append("BOS" if offset < 0 else "EOS")
    return out


def sentence_features(tokens: list[str]) -> list[list[str]]:
    return [token_features(tokens, i) for i in range(len(tokens))]


class FeatureCRF:
    """The baseline (`shared.run.baselines.Baseline`): fitted on the training split,
    saved as `model.crfsuite` (CRFsuite's own format: feature strings and weights, no
    pickled code)."""

    name = "feature_crf"
    file = "model.crfsuite"

    def __init__(self, model: bytes | None = None):
        self.model = model
        self._tagger = None

    def fit(self, data, config) -> None:
        import pycrfsuite

        trainer = pycrfsuite.Trainer(verbose=False)
        for tokens, tags in data.sentences["train"]:
            trainer.append(sentence_features(tokens), tags)
        trainer.set_params({"c1": C1, "c2": C2, "max_iterations": ITERATIONS,
                            "feature.possible_transitions": True})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / self.file
            trainer.train(str(path))
            self.model = path.read_bytes()

    def save(self, directory: Path) -> None:
        write_bytes_atomic(Path(directory) / self.file, self.model)

    @classmethod
    def load(cls, directory: Path):
        path = Path(directory) / cls.file
        if not path.is_file():
            raise ConfigError(f"{path} is missing: the run directory is damaged; train it "
                              "again (seqsuite train tagging --out RUN --overwrite)")
        return cls(path.read_bytes())

    def score(self, data, config) -> dict:
        """{name: entity P/R/F1 and token accuracy} on the test split."""
        from seqsuite.suites.tagging.train import entity_scores

        gold = [tags for _, tags in data.sentences["test"]]
        scores, _ = entity_scores(gold, self.tag([tokens for tokens, _ in data.sentences["test"]]))
        return {self.name: scores}

    def tag(self, sentences: list[list[str]]) -> list[list[str]]:
        import pycrfsuite

        if self._tagger is None:
            self._tagger = pycrfsuite.Tagger()
            self._tagger.open_inmemory(self.model)
        return [self._tagger.tag(sentence_features(tokens)) if tokens else []
                for tokens in sentences]
