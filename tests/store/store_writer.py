"""Child-process writer for the store tests: ``python store_writer.py DB KIND N [LABEL]``.

KIND ``measurements`` appends N measurements; ``jobs`` upserts N jobs with samples, forever when
N is 0 (for the SIGKILL test), touching ``DB.started`` after the first commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

from greenbench.store import ResultsStore


def main(path: str, kind: str, count: int, label: str = "w") -> None:
    with ResultsStore(path) as store:
        i = 0
        while count == 0 or i < count:
            if kind == "measurements":
                store.add_measurement(
                    [label, str(i)],
                    {"name": label, "duration_s": 1.0, "energy_j": {"total": float(i)}},
                    {"intensity_g_per_kwh": 100.0, "pue": 1.0},
                    {"host": label},
                    0,
                )
            else:
                samples = [
                    {"id": f"s{k}", "prediction": "x" * 2000, "scores": {}} for k in range(50)
                ]
                store.put_job({"job_id": f"{label}-{i % 5}", "status": "ok", "n": i}, samples)
            if i == 0:
                Path(path + ".started").touch()
            i += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
