"""The layer library: Keras layers, cells and graph functions every suite builds on.

Each module is independent of the run machinery (`shared.run`), the data
helpers and the suites; `seqsuite.layers` re-exports the public names.
This package imports nothing itself, so `shared.layers.options` stays light.
"""
