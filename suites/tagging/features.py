"""Classic token features, computed once for two uses: the feature CRF every run is
measured against, and the linear path inside the model.

`token_features` (TensorFlow string ops, so the model holds it and a SavedModel serves
raw tokens) gives every token of a padded batch the same `FEATURES` templates
(Ratnaparkhi 1996; Toutanova et al. 2003 for the affixes):

    w       the word, lower-cased            p1-p3, s1-s4  its prefixes and suffixes
    shape   runs of capitals, small letters and digits collapsed: Xx, d, x-x, X.X
    case    upper, title, lower or other
    -1w +1w -2w +2w   the lower-cased words around it (<s>, </s> past the ends)
    -1s3 +1s3 -1shape +1shape   the neighbours' suffix of 3 and shape

as strings "name=value"; padding tokens get "" throughout. A word shorter than an
affix's length is its own affix (as Python's `word[-4:]`).

- `FeatureCRF`, the baseline: a linear-chain CRF on these features (CRFsuite through
  python-crfsuite, as the sklearn-crfsuite tutorial builds it), the tool a practitioner
  reaches for first. Weights: elastic net (`C1` L1, `C2` L2), L-BFGS for at most
  `ITERATIONS` iterations; the model file keeps only features of non-zero weight.
- The model's linear path (`model.py`, `linear_features=true`): one weight per
  (feature, tag) for the features seen at least twice in training, summed into tag
  scores that the network's scores add to, trained with the network.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras
import tensorflow as tf

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.run.files import write_bytes_atomic

C1, C2, ITERATIONS = 0.1, 0.01, 150
FEATURES = ("bias", "w", "p1", "p2", "p3", "s1", "s2", "s3", "s4", "shape", "case",
            "-1w", "+1w", "-2w", "+2w", "-1s3", "+1s3", "-1shape", "+1shape")


def _affix(lower, k: int, suffix: bool):
    pattern = rf"^.*(.{{{k}}})$" if suffix else rf"^(.{{{k}}}).*$"
    return tf.strings.regex_replace(lower, pattern, r"\1")


def _shape(tokens):
    shape = tf.strings.regex_replace(tokens, r"\p{Lu}+", "X")
    shape = tf.strings.regex_replace(shape, r"\p{Ll}+", "x")
    return tf.strings.regex_replace(shape, r"\p{Nd}+", "d")


def _case(tokens):
    upper = tf.strings.regex_full_match(tokens, r"[^\p{Ll}]*\p{Lu}[^\p{Ll}]*")
    title = tf.strings.regex_full_match(tokens, r"\p{Lu}[^\p{Lu}]*")
    lower = tf.strings.regex_full_match(tokens, r"[^\p{Lu}]*\p{Ll}[^\p{Lu}]*")
    return tf.where(upper, "upper", tf.where(title, "title", tf.where(lower, "lower", "other")))


def _shifted(values, present, offset: int, outside: str):
    """`values` moved by `offset` steps along time (token i sees token i + offset);
    `outside` where that falls past either end of the sentence."""
    steps = tf.shape(values)[1]
    fill = tf.fill([tf.shape(values)[0], abs(offset)], outside)
    if offset > 0:
        moved = tf.concat([values[:, offset:], fill], 1)[:, :steps]
        inside = tf.concat([present[:, offset:], tf.zeros_like(present[:, :offset])], 1)[:, :steps]
    else:
        moved = tf.concat([fill, values[:, :offset]], 1)[:, :steps]
        inside = tf.concat([tf.zeros_like(present[:, :-offset]), present[:, :offset]], 1)[:, :steps]
    return tf.where(inside, moved, outside)


def token_features(tokens):
    """Padded tokens (batch, time), "" at padding -> feature strings (batch, time,
    len(FEATURES)), "" throughout at padding."""
    tokens = tf.convert_to_tensor(tokens, tf.string)
    present = tf.not_equal(tokens, "")
    lower = tf.strings.lower(tokens, encoding="utf-8")
    shape, suffix3 = _shape(tokens), _affix(lower, 3, True)
    values = {"bias": tf.fill(tf.shape(tokens), "1"), "w": lower,
              **{f"p{k}": _affix(lower, k, False) for k in (1, 2, 3)},
              **{f"s{k}": _affix(lower, k, True) for k in (1, 2, 3, 4)},
              "shape": shape, "case": _case(tokens)}
    for offset in (-1, 1, -2, 2):
        end = "<s>" if offset < 0 else "</s>"
        values[f"{offset:+d}w"] = _shifted(lower, present, offset, end)
    for offset in (-1, 1):
        end = "<s>" if offset < 0 else "</s>"
        values[f"{offset:+d}s3"] = _shifted(suffix3, present, offset, end)
        values[f"{offset:+d}shape"] = _shifted(shape, present, offset, end)
    out = tf.stack([tf.strings.join([f"{name}=", values[name]]) for name in FEATURES], -1)
    return tf.where(present[..., None], out, "")


@keras.saving.register_keras_serializable(package="seqsuite")
class TokenFeatures(keras.layers.Layer):
    """`token_features` as a layer: tokens (batch, time) -> strings (batch, time, features)."""

    def call(self, inputs):
        return token_features(inputs)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor((*inputs.shape, len(FEATURES)), dtype="string")


def sentence_features(sentences: list[list[str]], batch: int = 512) -> list[list[list[str]]]:
    """`token_features` of token lists: per sentence, per token, its feature strings."""
    out = []
    for start in range(0, len(sentences), batch):
        part = sentences[start : start + batch]
        width = max([len(tokens) for tokens in part] + [1])
        padded = tf.constant([tokens + [""] * (width - len(tokens)) for tokens in part])
        features = token_features(padded).numpy()
        for tokens, rows in zip(part, features):
            out.append([[f.decode("utf-8") for f in row] for row in rows[: len(tokens)]])
    return out


def feature_counts(sentences: list[list[str]]):
    """How many training tokens carry each feature string (`collections.Counter`)."""
    import collections

    counts = collections.Counter()
    for rows in sentence_features(sentences):
        for row in rows:
            counts.update(row)
    return counts


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
        train = data.sentences["train"]
        for features, (_, tags) in zip(sentence_features([t for t, _ in train]), train):
            trainer.append(features, tags)
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
        return [self._tagger.tag(features) if features else []
                for features in sentence_features(sentences)]
