"""The ``estimate`` meter's source: energy from CPU time x TDP and resident memory, no counter.

- ``cpu``: CPU time (user + system) of the measured process tree during the window x the CPU
  model's active power per hardware thread (TDP / threads from ``cpu_tdp.csv``; 4 W/thread when the
  model is unknown, see :data:`greenbench.energy.cpu_tdp.DEFAULT_W_PER_THREAD`).
- ``ram``: resident memory of the tree, sampled every :data:`RAM_SAMPLE_S` seconds in a daemon
  thread, integrated over the window, x :data:`RAM_W_PER_GIB`.

Both are estimates, labelled ``estimated:...`` with their constants; they attribute energy to the
measured processes only, unlike RAPL and NVML, which read whole devices.
"""

from __future__ import annotations

from greenbench.energy.cpu_tdp import CpuPower, this_cpu
from greenbench.energy.process_tree import ProcessTree
from greenbench.energy.sampler import Integrator
from greenbench.energy.sources import SourceFactory, SourceOptions

#: Watts per GiB of resident memory: 3 W per 8 GB module, eco2AI's constant and CodeCarbon's up to
#: version 2 (CodeCarbon 3 counts 5 W per DIMM instead; the range in
#: :mod:`greenbench.energy.uncertainty` spans both).
RAM_W_PER_GIB = 0.375
#: Seconds between resident-memory samples.
RAM_SAMPLE_S = 0.25


class CpuTimeSource:
    """Estimated ``cpu`` and/or ``ram`` energy of a process tree (meter name ``estimate``).

    Args:
        pid: root of the tree (default: this process, so its children are included).
        components: which of ``"cpu"``, ``"ram"`` to estimate.
        cpu: per-thread power to use (default: looked up for this machine's CPU).
    """

    name = "estimate"

    def __init__(
        self,
        pid: int | None = None,
        components: tuple[str, ...] = ("cpu", "ram"),
        cpu: CpuPower | None = None,
    ) -> None:
        self.components = list(components)
        self.cpu = cpu or this_cpu()
        self.tree = ProcessTree(pid)
        self.provenance: dict[str, str] = {}
        if "cpu" in self.components:
            self.provenance["cpu"] = f"estimated:cpu-time x {self.cpu.describe()}"
        if "ram" in self.components:
            self.provenance["ram"] = (
                f"estimated:rss x {RAM_W_PER_GIB} W/GiB (eco2AI / CodeCarbon<=2 constant)"
            )
        self._ram = Integrator(
            lambda: {"ram": self.tree.rss_gib()}, RAM_SAMPLE_S, "greenbench-ram-sampler"
        )

    def begin(self) -> tuple[float, float]:
        """State at window open: (CPU seconds of the tree, ∫ RSS dt in GiB·s)."""
        if "ram" in self.components:
            self._ram.start()
            ram = self._ram.value().get("ram", 0.0)
        else:
            ram = 0.0
        cpu = self.tree.cpu_seconds() if "cpu" in self.components else 0.0
        return cpu, ram

    def end(self, state: tuple[float, float]) -> dict[str, float]:
        """Joules per component since :meth:`begin` returned ``state``."""
        cpu0, ram0 = state
        out: dict[str, float] = {}
        if "cpu" in self.components:
            out["cpu"] = max(0.0, self.tree.cpu_seconds() - cpu0) * self.cpu.w_per_thread
        if "ram" in self.components:
            out["ram"] = max(0.0, self._ram.value().get("ram", 0.0) - ram0) * RAM_W_PER_GIB
        return out

    def close(self) -> None:
        """Stop the memory sampler."""
        self._ram.stop()


def _build(options: SourceOptions) -> CpuTimeSource:
    return CpuTimeSource(options.pid)


def _probe() -> str:
    return (
        f"estimates cpu (cpu-time x {this_cpu().describe()}) and ram (rss x {RAM_W_PER_GIB} W/GiB)"
    )


#: The ``estimate`` entry of :data:`greenbench.energy.SOURCES`: always available.
FACTORY = SourceFactory(build=_build, probe=_probe)
