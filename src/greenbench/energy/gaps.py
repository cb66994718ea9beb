"""What a meter leaves out: devices a job used that no energy source measured (issue 12).

``meter="auto"`` skips a hardware source that cannot work (``EnergyMeter.skipped`` keeps why).
On a CPU-only machine a missing NVML is expected; for a job that ran on a CUDA device it is a
gap that every figure of the job inherits, so it is named, never passed over in silence.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from greenbench.energy.meter import EnergyMeter


def unmeasured(meter: EnergyMeter, device: str | None) -> list[str]:
    """One line per device the job ran on that ``meter`` does not measure, e.g.
    ``"GPU energy not measured: NVML unavailable (…)"``; empty when nothing is missing.

    Args:
        meter: the job's meter.
        device: where the model ran, as the backend reports it (``"cpu"``, ``"cuda"``,
            ``"cuda:1"``); None when unknown.
    """
    if not (device or "").startswith("cuda"):
        return []
    components = {c for s in meter.sources for c in s.components}
    if any(c == "gpu" or c.startswith("gpu:") for c in components):
        return []
    if "nvml" in meter.skipped:
        reason = meter.skipped["nvml"]
    else:
        reason = f"meter {meter.meter!r} reads no GPU; use meter auto or nvml"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    if "MIG-" in visible:
        reason += (
            f" (CUDA_VISIBLE_DEVICES={visible!r} names a MIG instance: NVML's energy counter "
            "covers whole GPUs, not MIG slices)"
        )
    return [f"GPU energy not measured: {reason}"]
