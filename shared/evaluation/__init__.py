"""Evaluation: metrics, anomaly scoring, training diagnostics and plots."""
