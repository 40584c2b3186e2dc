"""Maps the project's folders into the one installed namespace, `seqsuite`.

The repository is organised by `shared/` (the layer library), `suites/` and
`tuning/`; installed, they are `seqsuite.shared`, `seqsuite.suites` and
`seqsuite.tuning`, so site-packages holds `seqsuite` alone. Everything else
about the distribution is in pyproject.toml.
"""

from setuptools import find_packages, setup

FOLDERS = {"seqsuite": "seqsuite", "seqsuite.shared": "shared", "seqsuite.suites": "suites",
           "seqsuite.tuning": "tuning"}

packages = []
for name, folder in FOLDERS.items():
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=FOLDERS)
