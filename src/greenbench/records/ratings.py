"""A 1–5 star energy rating per task, in the style of Hugging Face's AI Energy Score.

AI Energy Score's rule (its FAQ, "What do the star ratings mean?"): for one task (and, for text
generation, one model-size class), the range of the models' GPU energy is divided into five
equal sections (20% intervals); a model is rated by the section its energy falls in, the
lowest-energy section getting 5 stars. All its models run on the same hardware (NVIDIA H100).

greenbench applies the same band rule with these differences, each for a reason:

- the energy is the record's inference energy per query (``energy_per_query_j``, every measured
  component on the record's energy basis), not GPU energy alone: greenbench also rates CPU-only
  runs, where the GPU draws nothing;
- jobs are rated only against jobs of the same task on the same *hardware class*
  (:func:`hardware_class`: the GPU model for a job run on a GPU, else the CPU model), since a
  rating across machines would rank the machines; greenbench has no model-size classes;
- a section's lower bound belongs to it and its upper bound to the next (the highest energy is
  in the fifth section, 1 star);
- a rating rests on at least two jobs with different energies: otherwise there is no range to
  divide and the rating is None with a note; an ``estimate`` model (not run on any machine) is
  not rated;
- measured and estimated energies are not rated against each other (a hardware counter and a
  CPU-time model do not share a scale): a job is rated among the jobs of its task and hardware
  class whose inference energy is, like its own, measured or estimated; a rating among
  estimates is marked *estimated*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from greenbench.records.schema import JobRecord

#: Number of stars (and equal sections of the energy range).
BANDS = 5


@dataclass(frozen=True)
class StarRating:
    """The energy rating of one job within its task and hardware class."""

    stars: int | None
    """1 (most energy per query) to 5 (least); None when it cannot be rated (see ``note``)."""
    hardware_class: str | None
    """What the job ran on, e.g. ``GPU NVIDIA H200`` or ``CPU AMD EPYC 7B13``."""
    estimated: bool
    """True when any energy the rating is computed from is an estimate."""
    note: str | None = None
    """Why ``stars`` is None."""


def hardware_class(record: JobRecord) -> str | None:
    """The GPU model when the job's backend ran on a GPU, else the CPU model; None for an
    ``estimate`` model or a record that names neither."""
    if record.model.kind == "estimate":
        return None
    env = record.environment or {}
    device = str((record.backend or {}).get("device") or "cpu")
    if device.startswith("cuda"):
        index = int(device.partition(":")[2] or 0)
        gpus = [g for g in env.get("gpus") or [] if isinstance(g, dict)]
        names = [g.get("name") for g in gpus if g.get("index", index) == index] or [None]
        return f"GPU {names[0] or 'unknown model'}"
    cpu = env.get("cpu_model")
    return f"CPU {cpu}" if cpu else None


def _estimated(record: JobRecord) -> bool:
    phase = record.phases.get("inference")
    return phase is None or any(str(p).startswith("estimated") for p in phase.provenance.values())


def band(energy: float, low: float, high: float) -> int:
    """Stars for ``energy`` in the range ``[low, high]`` (``high > low``): 5 in the lowest fifth."""
    section = math.floor((energy - low) / ((high - low) / BANDS))
    return BANDS - min(BANDS - 1, max(0, section))


def star_ratings(records: Sequence[JobRecord]) -> dict[str, StarRating]:
    """Job id -> rating, for the ok jobs of ONE task with an energy per query."""
    rated = [r for r in records if r.ok and r.energy_per_query_j is not None]
    groups: dict[tuple[str | None, bool], list[JobRecord]] = {}
    for record in rated:
        groups.setdefault((hardware_class(record), _estimated(record)), []).append(record)
    out: dict[str, StarRating] = {}
    for (hardware, estimated), group in groups.items():
        energies = [float(r.energy_per_query_j) for r in group]
        low, high = min(energies), max(energies)
        for record, energy in zip(group, energies, strict=True):
            if hardware is None:
                estimate = record.model.kind == "estimate"
                note = "unrated: estimate model" if estimate else "unrated: no hardware recorded"
                out[record.job_id] = StarRating(None, None, estimated, note)
            elif high <= low:
                note = "unrated: one energy on this hardware and meter"
                out[record.job_id] = StarRating(None, hardware, estimated, note)
            else:
                out[record.job_id] = StarRating(band(energy, low, high), hardware, estimated)
    return out
