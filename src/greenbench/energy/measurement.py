"""Result types of the energy meter: :class:`Measurement` (one window) and :class:`IdleBaseline`.

Component keys name what consumed the energy: ``"cpu"``, ``"dram"``, ``"ram"``, ``"gpu:0"``, …
A key ``"X:Y"`` whose prefix ``"X"`` is itself a key is a *breakdown* of ``X`` (``"cpu:package-0"``
is part of ``"cpu"``) and is not added again into totals; ``"gpu:0"`` has no ``"gpu"`` key beside
it, so it counts on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def is_breakdown(key: str, keys: set[str] | dict) -> bool:
    """True when ``key`` is part of another component listed in ``keys`` (see module docstring)."""
    prefix, sep, _ = key.partition(":")
    return bool(sep) and prefix in keys


def total(energy: dict[str, float]) -> float:
    """Sum of the top-level components of ``energy`` (breakdowns are not counted twice)."""
    return sum(v for k, v in energy.items() if not is_breakdown(k, energy))


@dataclass(frozen=True)
class IdleBaseline:
    """Static power of the measured components, subtracted to get net energy."""

    power_w: dict[str, float]
    """Component -> average power while idle, in watts."""
    duration_s: float
    """Length of the calibration window, in seconds."""
    provenance: dict[str, str] = field(default_factory=dict)
    """Component -> how its idle power was obtained (same vocabulary as :class:`Measurement`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"power_w": {...}, "duration_s": s, "provenance": {...}}``."""
        return {
            "power_w": dict(self.power_w),
            "duration_s": self.duration_s,
            "provenance": dict(self.provenance),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IdleBaseline:
        """Inverse of :meth:`to_dict`."""
        return cls(
            power_w={k: float(v) for k, v in data["power_w"].items()},
            duration_s=float(data["duration_s"]),
            provenance=dict(data.get("provenance", {})),
        )


@dataclass
class Measurement:
    """Energy of one named window, per component, with where each figure came from."""

    name: str
    """Window name given to :meth:`EnergyMeter.window`."""
    duration_s: float
    """Wall-clock length of the window, in seconds."""
    energy_j: dict[str, float]
    """Component -> gross energy (idle power included), in joules."""
    provenance: dict[str, str]
    """Component -> ``measured:rapl`` | ``measured:nvml`` | ``estimated:<method and constants>``."""
    idle_energy_j: dict[str, float] = field(default_factory=dict)
    """Component -> idle power x duration, in joules; empty when no idle baseline was known."""
    cpu_share: float | None = None
    """0..1: the share of the host-wide components (and of their idle energy) charged to this
    window because other metered jobs shared the host (:mod:`.host_ledger`); None: not shared."""

    @property
    def total_j(self) -> float:
        """Gross energy of all components, in joules."""
        return total(self.energy_j)

    @property
    def net_energy_j(self) -> dict[str, float]:
        """Component -> gross minus idle energy, floored at 0, in joules."""
        return {k: max(0.0, v - self.idle_energy_j.get(k, 0.0)) for k, v in self.energy_j.items()}

    @property
    def net_total_j(self) -> float:
        """Net energy of all components, in joules."""
        return total(self.net_energy_j)

    @property
    def energy_basis(self) -> str:
        """``"net"`` when an idle baseline was applied, else ``"gross"``: the basis every figure
        built on this window uses (a sweep record's ``energy_basis`` follows the same rule)."""
        return "net" if self.idle_energy_j else "gross"

    @property
    def basis_total_j(self) -> float:
        """Total energy on :attr:`energy_basis`, in joules."""
        return self.net_total_j if self.idle_energy_j else self.total_j

    @property
    def estimated(self) -> bool:
        """True when any component's figure is an estimate rather than a counter reading."""
        return any(p.startswith("estimated") for p in self.provenance.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form.

        ``net_energy_j`` equals ``energy_j`` when no idle baseline was applied; ``idle_energy_j`` is
        then empty, which is how a reader tells the two cases apart.
        """
        return {
            "name": self.name,
            "duration_s": self.duration_s,
            "energy_j": {"total": self.total_j, **self.energy_j},
            "net_energy_j": {"total": self.net_total_j, **self.net_energy_j},
            "idle_energy_j": dict(self.idle_energy_j),
            "provenance": dict(self.provenance),
            **({"cpu_share": self.cpu_share} if self.cpu_share is not None else {}),
        }
