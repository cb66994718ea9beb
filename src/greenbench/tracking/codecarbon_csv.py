"""CodeCarbon's ``emissions.csv`` layout, so dashboards built on CodeCarbon keep working.

The columns and units are those of CodeCarbon 3.x's ``EmissionsData`` (``tests`` check the
header against the installed CodeCarbon): ``duration`` s, ``emissions`` kg CO2eq,
``emissions_rate`` kg/s, ``*_power`` W (mean over the window), ``*_energy`` and
``energy_consumed`` kWh, ``ram_total_size`` GB. How greenbench fills them:

- ``cpu_energy`` is the ``cpu`` component, ``ram_energy`` the ``ram`` and ``dram`` components,
  ``gpu_energy`` every ``gpu:N`` component; ``energy_consumed`` is the window's total (every
  top-level component, as CodeCarbon's sum of its three);
- ``emissions`` is greenbench's figure (total energy × grid intensity × PUE), in kg;
- ``project_name`` is the window's name, ``run_id`` a UUID derived from the measurement's store
  id and time (stable across exports), ``tracking_mode`` ``machine`` when every component was
  read from a device-wide counter (RAPL, NVML) and ``process`` otherwise;
- what greenbench does not know (``experiment_id``, ``water_consumed``, ``country_name``,
  cloud, coordinates, utilisation, ``codecarbon_version``, ``wue``) is left empty, never 0.

greenbench's provenance (measured or estimated, by which method) has no CodeCarbon column; the
greenbench store keeps it.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from greenbench.energy.measurement import is_breakdown
from greenbench.errors import GreenbenchError

#: CodeCarbon 3.x's emissions.csv header, in order.
COLUMNS = [
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions",
    "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy",
    "ram_energy", "energy_consumed", "water_consumed", "country_name", "country_iso_code",
    "region", "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version",
    "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude",
    "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
    "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
]  # fmt: skip

J_PER_KWH = 3.6e6


def row(stored: Mapping[str, Any]) -> dict[str, Any]:
    """One emissions.csv row from a stored measurement (``ResultsStore.measurements()`` item:
    ``id``, ``created_at``, ``measurement``, ``carbon``, ``environment``, ``emissions_g``).

    Energy and emissions share one basis, the stored emissions' own: net of idle when the
    window had an idle baseline (``idle_energy_j`` not empty), else gross — what CodeCarbon,
    which subtracts no idle power, always writes."""
    m = stored["measurement"]
    basis = "net_energy_j" if m.get("idle_energy_j") and m.get("net_energy_j") else "energy_j"
    energy = {k: float(v) for k, v in m[basis].items() if k != "total" and v is not None}
    top = {k: v for k, v in energy.items() if not is_breakdown(k, energy)}
    duration = float(m["duration_s"])
    gpu = [v for k, v in top.items() if k.startswith("gpu")]
    ram = [top[k] for k in ("ram", "dram") if k in top]
    parts = {
        "cpu": top.get("cpu"),
        "gpu": sum(gpu) if gpu else None,
        "ram": sum(ram) if ram else None,
    }
    total = float(m[basis].get("total", sum(top.values())))
    grams = stored.get("emissions_g")
    carbon, env = stored.get("carbon") or {}, stored.get("environment") or {}
    gpus = env.get("gpus") or []
    provenance = m.get("provenance") or {}
    counters = provenance and all(str(p).startswith("measured") for p in provenance.values())
    out: dict[str, Any] = dict.fromkeys(COLUMNS)
    out.update(
        timestamp=stored.get("created_at"),
        project_name=m.get("name"),
        run_id=str(
            uuid.uuid5(
                uuid.NAMESPACE_OID, f"greenbench:{stored.get('id')}:{stored.get('created_at')}"
            )
        ),
        duration=duration,
        emissions=None if grams is None else grams / 1000,
        emissions_rate=None if grams is None or not duration else grams / 1000 / duration,
        energy_consumed=total / J_PER_KWH,
        country_iso_code=carbon.get("country"),
        region=carbon.get("region"),
        os=env.get("os"),
        python_version=env.get("python"),
        cpu_count=env.get("cpu_cores_logical"),
        cpu_model=env.get("cpu_model"),
        gpu_count=len(gpus) if gpus else None,
        gpu_model=", ".join(str(g.get("name")) for g in gpus) if gpus else None,
        ram_total_size=env.get("ram_gib"),
        tracking_mode="machine" if counters else "process",
        pue=carbon.get("pue"),
    )
    for name, joules in parts.items():
        out[f"{name}_energy"] = None if joules is None else joules / J_PER_KWH
        out[f"{name}_power"] = None if joules is None or not duration else joules / duration
    return out


def to_text(rows: Sequence[Mapping[str, Any]], *, header: bool = True) -> str:
    """``rows`` as CSV text in :data:`COLUMNS` order (empty cells for None)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    if header:
        writer.writeheader()
    for item in rows:
        writer.writerow({k: ("" if item.get(k) is None else item.get(k)) for k in COLUMNS})
    return buffer.getvalue()


def check(path: str | Path) -> bool:
    """Whether ``path`` is new (or empty); raise if rows of this layout cannot be appended.

    Raises:
        GreenbenchError: ``path`` is a directory, or exists with another header (not an
            emissions.csv of this layout).
    """
    file = Path(path)
    if file.is_dir():
        raise GreenbenchError(f"{file}: is a directory; give a CSV file such as emissions.csv")
    if not file.exists() or file.stat().st_size == 0:
        return True
    with file.open(encoding="utf-8", newline="") as handle:
        first = next(csv.reader(handle), [])
    if first != COLUMNS:
        raise GreenbenchError(
            f"{file}: has another header than CodeCarbon's emissions.csv; give a new file"
        )
    return False


def append(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Append ``rows`` to ``path`` as CodeCarbon does (header first when the file is new).

    Raises:
        GreenbenchError: as :func:`check`.
    """
    file = Path(path)
    new = check(file)
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("a", encoding="utf-8", newline="") as handle:
        handle.write(to_text(rows, header=new))
    return file
