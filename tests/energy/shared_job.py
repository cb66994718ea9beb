"""A fake co-located job for the host-sharing tests: one RAPL window, driven by marker files.

``python shared_job.py LEDGER_DIR SYNC_DIR NAME BURN_S``: opens a meter on the host ledger in
LEDGER_DIR and a window, touches ``NAME.open``, waits for ``go``, burns BURN_S seconds of CPU
time, touches ``NAME.burnt``, waits for ``close``, closes the window and prints its measurement
as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from greenbench.energy import EnergyMeter
from greenbench.energy.host_ledger import HostLedger


def _wait(path: Path) -> None:
    while not path.exists():
        time.sleep(0.02)


def main() -> None:
    ledger, sync, name, burn = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    meter = EnergyMeter("rapl", host=HostLedger(directory=ledger))
    with meter, meter.window("inference") as window:
        (sync / f"{name}.open").touch()
        _wait(sync / "go")
        end = time.process_time() + burn
        while time.process_time() < end:
            pass
        (sync / f"{name}.burnt").touch()
        _wait(sync / "close")
    print(json.dumps(window.measurement.to_dict()))


if __name__ == "__main__":
    main()
