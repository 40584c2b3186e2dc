"""The linear n-gram path of the sentiment model: naive-Bayes-weighted logistic
regression on binary word n-grams (NBSVM's features, Wang and Manning 2012).

With f(x) in {0, 1}^V the n-grams (1 to `linear_ngrams` words) a text contains, for a
class c against the rest (two classes: the second class only):

    p_c = alpha + sum over training texts of c of f(x)
    q_c = alpha + sum over the other training texts of f(x)
    r_c = log((p_c / |p_c|_1) / (q_c / |q_c|_1))          alpha = 1

a logistic regression on f(x) * r_c gives weights w_c and bias b_c, so the class's
logit is the linear map `f(x) . (r_c * w_c) + b_c`: one (V, classes) matrix that the
model applies to `TextVectorization`'s multi-hot output, reading the whole text
(no cut at `max_length`). With two classes the first column is 0. The inverse
regularisation strength is chosen on the validation split from `NGRAM_C`.

The n-grams are those of at least two training texts (one seen once cannot
generalise), the `max_ngrams` most frequent of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqsuite.suites.sentiment.data import prepare_reviews

NGRAM_C = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # inverse regularisation strengths tried
FOLDS = 5  # C is chosen by cross-validation on the training split
ALPHA = 1.0  # the count smoothing of r_c


def baseline_tokens(texts: list[str], lowercase: bool) -> list[str]:
    """The prepared, space-separated tokens the model reads, as Python strings."""
    return [t.decode("utf-8") for t in prepare_reviews(texts, lowercase).numpy()]


def split_words(prepared: str) -> list[str]:
    """A prepared text's words, split as `TextVectorization(split="whitespace")` splits
    it: `prepare` leaves single ASCII spaces between words, and a word may hold other
    Unicode spaces (Python's `str.split` would cut there too)."""
    return prepared.split(" ") if prepared else []


def ngram_counts(longest: int = 2, vocabulary=None, min_df: int = 2,
                 max_features: int | None = None, binary: bool = False):
    """Word 1- to `longest`-gram counts of prepared tokens, n-grams joined by a space
    (as `TextVectorization(ngrams=...)` joins them); fitting keeps those found in at
    least `min_df` training texts."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(tokenizer=split_words, lowercase=False, token_pattern=None,
                           ngram_range=(1, longest), min_df=1 if vocabulary else min_df,
                           vocabulary=vocabulary, max_features=max_features, binary=binary)


def fit_counts(tokens: list[str], **kwargs):
    """(fitted vectoriser, training count matrix); a corpus too small for `min_df`
    keeps every n-gram."""
    counts = ngram_counts(**kwargs)
    try:
        return counts, counts.fit_transform(tokens)
    except ValueError:  # no n-gram occurs in two texts of a tiny corpus
        counts = ngram_counts(**{**kwargs, "min_df": 1})
        return counts, counts.fit_transform(tokens)


def nb_ratios(features, positive: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """r (V,): the log-count ratio of binary `features` (n, V) between the texts where
    `positive` is True and the rest."""
    features = features.tocsr()
    p = alpha + np.asarray(features[positive].sum(axis=0)).ravel()
    q = alpha + np.asarray(features[~positive].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


@dataclass
class NgramPath:
    """A fitted linear path: `logits = multi_hot(text) @ weights + bias`."""

    vocabulary: list[str]  # the n-grams, in the order of TextVectorization's ids 1..V
    weights: np.ndarray  # (V + 1, classes), row 0 the out-of-vocabulary id
    bias: np.ndarray  # (classes,)
    C: float  # the chosen inverse regularisation strength (the median over classes)
    val_accuracy: float

    def settings(self) -> dict:
        return {"C": self.C, "val_accuracy": self.val_accuracy, "ngrams": len(self.vocabulary)}

    def padded(self, rows: int) -> list[np.ndarray]:
        """[weights (rows, classes), bias]: the weights with zero rows below, for a layer
        sized before the data (`max_ngrams + 1` ids)."""
        weights = np.zeros((rows, self.weights.shape[1]), dtype="float32")
        weights[: len(self.weights)] = self.weights
        return [weights, self.bias]


def fit_ngram_path(texts: dict, labels: dict, classes: int, lowercase: bool,
                   longest: int = 2, max_features: int | None = None,
                   seed: int = 0) -> NgramPath:
    """Fit on `texts["train"]`, C chosen by `FOLDS`-fold cross-validation on it (log
    loss); `val_accuracy` is measured on `texts["val"]`, which stays for the fusion."""
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    tokens = {split: baseline_tokens(texts[split], lowercase) for split in ("train", "val")}
    counts, x_train = fit_counts(tokens["train"], longest=longest, max_features=max_features,
                                 binary=True)
    y_train, y_val = np.asarray(labels["train"]), np.asarray(labels["val"])
    weights, bias, chosen = np.zeros((x_train.shape[1], classes)), np.zeros(classes), []
    for c in ([1] if classes == 2 else range(classes)):
        target = (y_train == c).astype(int)
        if target.min() == target.max():  # one class in training: a constant answer
            bias[c] = 20.0 if target[0] else -20.0
            continue
        ratio = nb_ratios(x_train, target.astype(bool))
        scaled = x_train.multiply(ratio[None, :]).tocsr()
        folds = min(FOLDS, int(np.bincount(target).min()))
        if folds >= 2:
            search = LogisticRegressionCV(
                Cs=list(NGRAM_C), cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
                scoring="neg_log_loss", max_iter=2000, random_state=seed).fit(scaled, target)
            strength, coef, intercept = float(search.C_[0]), search.coef_[0], search.intercept_[0]
        else:  # too few examples of the class to cross-validate: the middle strength
            strength = NGRAM_C[len(NGRAM_C) // 2]
            fitted = LogisticRegression(C=strength, max_iter=2000).fit(scaled, target)
            coef, intercept = fitted.coef_[0], fitted.intercept_[0]
        weights[:, c], bias[c] = ratio * coef, intercept
        chosen.append(strength)
    # Keras saves a vocabulary one entry per line and keeps "[UNK]" for itself: an
    # n-gram that spans lines (a lone U+2028) or spells it stays out of the layer.
    kept = sorted((column, ngram) for ngram, column in counts.vocabulary_.items()
                  if ngram != "[UNK]" and ngram.splitlines() == [ngram])
    val_logits = np.asarray(counts.transform(tokens["val"]) @ weights) + bias
    accuracy = float(np.mean(val_logits.argmax(-1) == y_val))
    vocabulary = [ngram for _, ngram in kept]
    weights = np.concatenate([np.zeros((1, classes)),
                              weights[[column for column, _ in kept]]]).astype("float32")
    strength = float(np.median(chosen)) if chosen else NGRAM_C[len(NGRAM_C) // 2]
    return NgramPath(vocabulary, weights, bias.astype("float32"), strength, accuracy)
