"""TensorFlow Datasets builders for the generators in `shared.data.datasets.chaotic`.

Importing this module registers `mackey_glass`, `lorenz`, `rossler`, `henon`,
`logistic_map` and `narma` with TFDS; the builders generate their data locally
(no download), so `tfds.load("mackey_glass", data_dir=...)` works offline.

Each builder cuts one long seeded trajectory into consecutive chunks of
`CHUNK` steps: the first 70% of chunks are `train`, the next 15% `validation`,
the last 15% `test`, so the splits are chronological and never overlap. An
example is `{"series": float32 (CHUNK, dims)}`, or for NARMA
`{"u": (CHUNK, 1), "y": (CHUNK, 1)}`. The version is bumped whenever the
generated numbers would change.
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from seqsuite.shared.data.datasets import chaotic

CHUNK = 500
N_CHUNKS = 40  # 20,000 steps per dataset
SPLITS = {"train": (0, 28), "validation": (28, 34), "test": (34, 40)}


class _SeriesConfig(tfds.core.BuilderConfig):
    def __init__(self, *, kwargs=None, **rest):
        super().__init__(**rest)
        self.kwargs = kwargs or {}


class _ChaoticBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release: seed 0, 20,000 steps in chunks of 500."}
    GENERATOR = None
    DIMS = 1

    # TFDS reads a builder's metadata files from the folder its module name
    # spells, but in a checkout `seqsuite.shared` is `shared/`, not `seqsuite/shared/`.
    pkg_dir_path = epath.Path(__file__).parent

    @property
    def _kwargs(self) -> dict:
        config = self.builder_config
        return config.kwargs if config is not None else {}

    def _series(self) -> dict[str, np.ndarray]:
        values = type(self).GENERATOR(CHUNK * N_CHUNKS, seed=0, **self._kwargs)
        return {"series": np.asarray(values, "float32").reshape(CHUNK * N_CHUNKS, -1)}

    def _info(self) -> tfds.core.DatasetInfo:
        features = {name: tfds.features.Tensor(shape=(CHUNK, dims), dtype=np.float32)
                    for name, dims in self._feature_dims().items()}
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(features),
            description=(type(self).GENERATOR.__doc__ or "").strip().splitlines()[0],
            homepage="https://github.com/seqsuite/seqsuite",
            disable_shuffling=True,  # chunks must stay in time order
        )

    def _feature_dims(self) -> dict[str, int]:
        return {"series": self.DIMS}

    def _split_generators(self, dl_manager):
        del dl_manager  # everything is generated locally
        series = self._series()
        return {name: self._generate_examples(series, lo, hi) for name, (lo, hi) in SPLITS.items()}

    def _generate_examples(self, series, lo, hi):
        for chunk in range(lo, hi):
            yield chunk, {k: v[chunk * CHUNK : (chunk + 1) * CHUNK] for k, v in series.items()}


class MackeyGlass(_ChaoticBuilder):
    """Mackey-Glass series, delay 17 (default) or 30, unit time step."""

    GENERATOR = staticmethod(chaotic.mackey_glass)
    BUILDER_CONFIGS = [
        _SeriesConfig(name="tau17", description="delay 17", kwargs={"tau": 17.0}),
        _SeriesConfig(name="tau30", description="delay 30", kwargs={"tau": 30.0}),
    ]


class Lorenz(_ChaoticBuilder):
    """Lorenz attractor (x, y, z), dt = 0.02."""

    GENERATOR = staticmethod(chaotic.lorenz)
    DIMS = 3


class Rossler(_ChaoticBuilder):
    """Rössler attractor (x, y, z), dt = 0.1."""

    GENERATOR = staticmethod(chaotic.rossler)
    DIMS = 3


class Henon(_ChaoticBuilder):
    """Hénon map (x, y), a = 1.4, b = 0.3."""

    GENERATOR = staticmethod(chaotic.henon)
    DIMS = 2


class LogisticMap(_ChaoticBuilder):
    """Logistic map, r = 3.9."""

    GENERATOR = staticmethod(chaotic.logistic_map)


class Narma(_ChaoticBuilder):
    """NARMA system identification: input u, target y; order 10 (default) or 30."""

    GENERATOR = staticmethod(chaotic.narma)
    BUILDER_CONFIGS = [
        _SeriesConfig(name="narma10", description="order 10", kwargs={"order": 10}),
        _SeriesConfig(name="narma30", description="order 30", kwargs={"order": 30}),
    ]

    def _feature_dims(self):
        return {"u": 1, "y": 1}

    def _series(self):
        u, y = chaotic.narma(CHUNK * N_CHUNKS, seed=0, **self._kwargs)
        return {"u": u.astype("float32")[:, None], "y": y.astype("float32")[:, None]}
