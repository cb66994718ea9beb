"""Sweeps: a config expands to jobs (model × variant × task) that run, are measured and stored.

``config`` (the YAML schema), ``plan`` (jobs with stable ids), ``job`` (run one job, phase by
phase), ``worker`` (one job in its own process), ``executors`` (local, ray), ``runner`` (the
driver behind ``greenbench run``). Records and their indexes: ``greenbench.records``.
"""
