"""Anomaly scores and a reference detector that need scikit-learn (the forecasting extra):
the ranking scores (ROC-AUC, PR-AUC) and an Isolation Forest on windows. The rest of the
field's scores and Telemanom's threshold are the core's, in `shared.evaluation.anomaly`."""

from __future__ import annotations

import numpy as np

from seqsuite.shared.evaluation.anomaly import (
    as_channels,
    as_pair,
    per_point,
    robust_scale,
    sliding_windows,
)


def ranking_scores(scores, labels) -> dict[str, float]:
    """ROC-AUC and PR-AUC (average precision) of real-valued `scores` against `labels`
    (scikit-learn); NaN when the labels hold one class only. Thresholds play no part."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores, labels = as_pair(scores, labels, float)
    if labels.all() or not labels.any():
        return {"roc_auc": float("nan"), "pr_auc": float("nan")}
    return {"roc_auc": float(roc_auc_score(labels, scores)),
            "pr_auc": float(average_precision_score(labels, scores))}


def isolation_forest_scores(clean, values, width: int, seed: int = 0) -> np.ndarray:
    """Isolation Forest (Liu et al. 2008; scikit-learn, 100 trees) fitted on the clean
    stretch's windows, each channel scaled by the clean stretch's median and MAD; the
    score of a point is minus the forest's `score_samples` of the window ending there."""
    from sklearn.ensemble import IsolationForest

    clean, values = as_channels(clean), as_channels(values)
    centre, scale = robust_scale(clean, axis=0)
    forest = IsolationForest(random_state=seed).fit(
        sliding_windows((clean - centre) / scale, width))
    return per_point(-forest.score_samples(sliding_windows((values - centre) / scale, width)),
                      width)


