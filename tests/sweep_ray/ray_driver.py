"""A fake sweep driven through a Ray cluster: the driver process a test can SIGKILL.

``python ray_driver.py OUT_DIR ADDRESS SOURCE…`` runs the fake jobs of ``tests/sweep/fake_jobs``
(``fake:ok``, ``fake:sleep`` …) with :class:`RayExecutor` joined to ``ADDRESS`` (``-``: none
given, as ``greenbench run --executor ray`` without ``--address``).
"""

from __future__ import annotations

import sys

from fake_jobs import CARBON, FAKE_RUNNER, fake_config

from greenbench.sweep.executors.ray_executor import RayExecutor
from greenbench.sweep.plan import expand
from greenbench.sweep.runner import run_sweep


def main(out_dir: str, address: str, *sources: str) -> None:
    config = fake_config(*sources)
    run_sweep(
        config,
        expand(config, CARBON),
        out_dir,
        executor=RayExecutor(
            address=None if address == "-" else address, idle_seconds=0, runner=FAKE_RUNNER
        ),
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
