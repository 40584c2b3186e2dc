"""Anomaly scores and a reference detector that need scikit-learn (the forecasting extra):
the ranking scores (ROC-AUC, PR-AUC) and an Isolation Forest on windows. The rest of the
field's scores and Telemanom's threshold are the core's, in `shared.evaluation.anomaly`."""

from __future__ import annotations

import numpy as np

from seqsuite.shared.evaluation.anomaly import as_pair, per_point, sliding_windows


def ranking_scores(scores, labels) -> dict[str, float]:
    """ROC-AUC and PR-AUC (average precision) of real-valued `scores` against `labels`
    (scikit-learn); NaN when the labels hold one class only. Thresholds play no part."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores, labels = as_pair(scores, labels, float)
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite numbers; NaN or infinity found")
    if labels.all() or not labels.any():
        return {"roc_auc": float("nan"), "pr_auc": float("nan")}
    return {"roc_auc": float(roc_auc_score(labels, scores)),
            "pr_auc": float(average_precision_score(labels, scores))}


def isolation_forest_scores(clean, values, width: int, seed: int = 0) -> np.ndarray:
    """Isolation Forest (Liu et al. 2008; scikit-learn, 100 trees) fitted on the clean
    stretch's windows, each channel scaled by the clean stretch's median and MAD; the
    score of a point is minus the forest's `score_samples` of the window ending there."""
    from sklearn.ensemble import IsolationForest

    clean, values = np.asarray(clean, float), np.asarray(values, float)
    clean = clean[:, None] if clean.ndim == 1 else clean
    values = values[:, None] if values.ndim == 1 else values
    centre = np.median(clean, axis=0)
    scale = np.maximum(np.median(np.abs(clean - centre), axis=0) * 1.4826, 1e-12)
    forest = IsolationForest(random_state=seed).fit(
        sliding_windows((clean - centre) / scale, width))
    return per_point(-forest.score_samples(sliding_windows((values - centre) / scale, width)),
                      width)


