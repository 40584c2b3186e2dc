"""Embedded datasets that need no network: seeded generators of chaotic and
nonlinear benchmark series, also available as local TensorFlow Datasets builders
(`import seqsuite.shared.data.datasets.tfds_builders` registers them with `tfds.load`)."""

from seqsuite.shared.data.datasets.chaotic import (
    GENERATORS,
    henon,
    logistic_map,
    lorenz,
    mackey_glass,
    narma,
    rossler,
)

__all__ = ["GENERATORS", "henon", "logistic_map", "lorenz", "mackey_glass", "narma", "rossler"]
