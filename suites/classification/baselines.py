"""The classification suite's baselines: what a practitioner fits first on a UCR/UEA problem.

    1nn_euclidean   1-NN, Euclidean distance, sequences resampled to one length
    1nn_dtw         1-NN, multivariate dynamic time warping (dtaidistance)
    minirocket      MiniRocket features and a ridge classifier (sktime, Dempster et al. 2021)

All three learn from one reference set: every official training sequence (training and
validation parts; none of them tunes on the validation part beyond what the tool does
itself) with its class, saved as plain arrays (`reference.npz`), so evaluating a run never
unpickles code. MiniRocket's fitted state is its random choices and a ridge fit; both
follow from the reference set and the run's seed, so it is fitted again, identically, from
the saved arrays whenever it is scored (a second or two), rather than pickled.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from seqsuite.shared.errors import ConfigError
from seqsuite.shared.evaluation.metrics import classification_scores
from seqsuite.shared.run.files import write_bytes_atomic
from seqsuite.suites.classification.config import Config
from seqsuite.suites.classification.data import ClassificationData, pad

# MiniRocket's published defaults (Dempster et al. 2021): about 10,000 features, and the
# ridge regularisation chosen by leave-one-out among ten values from 1e-3 to 1e3.
MINIROCKET_FEATURES = 10_000
MINIROCKET_ALPHAS = np.logspace(-3, 3, 10)
# MiniRocket's kernels span 9 steps at dilation 1; shorter sequences are zero-padded.
MINIROCKET_SHORTEST = 9


def resample(sequence: np.ndarray, steps: int) -> np.ndarray:
    """`sequence` (time, channels) linearly interpolated to `steps` steps."""
    old = np.linspace(0.0, 1.0, len(sequence))
    new = np.linspace(0.0, 1.0, steps)
    return np.stack([np.interp(new, old, channel) for channel in sequence.T], axis=1)


def nearest_euclidean(reference: list[np.ndarray], labels: np.ndarray,
                      queries: list[np.ndarray]) -> np.ndarray:
    """1-NN under the Euclidean distance, every sequence resampled to the longest
    reference length (Euclidean distance needs equal lengths)."""
    steps = max(len(s) for s in reference)
    ref = np.stack([resample(s, steps).ravel() for s in reference])  # (n_ref, steps*channels)
    query = np.stack([resample(s, steps).ravel() for s in queries])
    squared = (query**2).sum(1)[:, None] + (ref**2).sum(1)[None, :] - 2 * query @ ref.T
    return labels[np.argmin(squared, axis=1)]


def nearest_dtw(reference: list[np.ndarray], labels: np.ndarray, queries: list[np.ndarray],
                window: int | None = None) -> np.ndarray:
    """1-NN under multivariate dynamic time warping (dtaidistance's C implementation:
    the frames' squared Euclidean distances summed along the warping path, dependent
    warping of all channels), unconstrained or within a Sakoe-Chiba band `window`."""
    from dtaidistance import dtw_ndim

    series = [np.ascontiguousarray(s, dtype="float64") for s in (*queries, *reference)]
    n = len(queries)
    options = {"window": window} if window else {}
    # Only the query-by-reference block of the matrix is computed.
    distances = dtw_ndim.distance_matrix_fast(series, block=((0, n), (n, len(series))),
                                              compact=False, parallel=True, **options)
    return labels[np.argmin(distances[:n, n:], axis=1)]


def minirocket(reference: list[np.ndarray], labels: np.ndarray, queries: list[np.ndarray],
               seed: int) -> np.ndarray:
    """MiniRocket as its authors and sktime use it: the MiniRocket transform (sktime's
    `MiniRocketMultivariate`, which also serves univariate series; for sequences of
    unequal length `MiniRocketMultivariateVariable`, zero-padding those under 9 steps),
    features scaled to unit variance, and `RidgeClassifierCV` over `MINIROCKET_ALPHAS`.
    Seeded, so the same reference set gives the same classifier."""
    import warnings

    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.preprocessing import StandardScaler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sktime's notices of deprecated import paths
        from sktime.transformations.rocket import (
            MiniRocketMultivariate,
            MiniRocketMultivariateVariable,
        )
    lengths = {len(s) for s in (*reference, *queries)}
    if len(lengths) == 1 and min(lengths) >= MINIROCKET_SHORTEST:
        transform = MiniRocketMultivariate(num_kernels=MINIROCKET_FEATURES, random_state=seed)

        def panel(sequences):  # sktime's numpy3D: (instances, channels, time)
            return np.stack(sequences).transpose(0, 2, 1).astype("float64")
    else:
        import pandas as pd

        transform = MiniRocketMultivariateVariable(
            num_kernels=MINIROCKET_FEATURES, pad_value_short_series=0.0, random_state=seed)

        def panel(sequences):  # sktime's df-list: one (time, channels) frame per sequence
            return [pd.DataFrame(np.asarray(s, dtype="float64")) for s in sequences]
    # The three steps by hand: scikit-learn's Pipeline no longer takes sktime's transformers.
    features = np.asarray(transform.fit_transform(panel(reference)), dtype="float64")
    scaler = StandardScaler(with_mean=False).fit(features)
    ridge = RidgeClassifierCV(alphas=MINIROCKET_ALPHAS).fit(scaler.transform(features), labels)
    queried = np.asarray(transform.transform(panel(queries)), dtype="float64")
    return np.asarray(ridge.predict(scaler.transform(queried)))


class ReferenceSet:
    """The classification baselines (`shared.run.baselines.Baseline`), rows
    `1nn_euclidean`, `1nn_dtw` and `minirocket`, over one saved reference set."""

    name = "reference_set"
    file = "reference.npz"

    def __init__(self, reference: list[np.ndarray] | None = None,
                 labels: np.ndarray | None = None):
        self.reference, self.labels = reference, labels

    def fit(self, data: ClassificationData, config: Config) -> None:
        self.reference = data.sequences["train"] + data.sequences["val"]
        self.labels = np.concatenate([data.labels["train"], data.labels["val"]])

    def save(self, directory: Path) -> None:
        padded, lengths = pad(self.reference)
        buffer = io.BytesIO()
        np.savez(buffer, sequences=padded, lengths=lengths, labels=self.labels)
        write_bytes_atomic(Path(directory) / self.file, buffer.getvalue())

    @classmethod
    def load(cls, directory: Path) -> ReferenceSet:
        path = Path(directory) / cls.file
        try:
            with np.load(path, allow_pickle=False) as saved:
                padded, lengths, labels = saved["sequences"], saved["lengths"], saved["labels"]
        except FileNotFoundError as err:
            raise ConfigError(f"{path} not found: the run directory is damaged; train it "
                              "again (seqsuite train classification ... --overwrite)") from err
        except (ValueError, KeyError, OSError) as err:
            raise ConfigError(f"{path} is unreadable; the run directory is damaged") from err
        return cls([s[:n] for s, n in zip(padded, lengths)], labels)

    def predict(self, sequences: list[np.ndarray], config: Config) -> dict[str, np.ndarray]:
        """{row: class ids} of `sequences` under each baseline."""
        return {"1nn_euclidean": nearest_euclidean(self.reference, self.labels, sequences),
                "1nn_dtw": nearest_dtw(self.reference, self.labels, sequences,
                                       config.dtw_window),
                "minirocket": minirocket(self.reference, self.labels, sequences, config.seed)}

    def score(self, data: ClassificationData, config: Config) -> dict:
        """{row: accuracy, macro F1 and errors} on the test split."""
        return {row: classification_scores(data.labels["test"], guess, data.classes)[0]
                for row, guess in self.predict(data.sequences["test"], config).items()}


def baselines(config: Config) -> list:
    """`Suite.baselines`: the reference-set baselines, beside either model."""
    return [ReferenceSet()]
