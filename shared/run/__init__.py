"""The run machinery: the suite contract, configs, runs, training, export and distribution."""
