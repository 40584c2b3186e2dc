"""Forecasting and anomaly detection on univariate or multivariate series (CO2, sunspots, CSV)."""
