"""The RAPL source: CPU package and DRAM energy counters of the Linux powercap sysfs tree.

Zones are the top-level entries ``intel-rapl:N`` (a package, ``name`` = ``package-N``) and their
subzones ``intel-rapl:N:M`` (``name`` = ``dram``, ``core``, ``uncore``); ``amd-rapl:*`` is read the
same way. Only package and dram zones are used: ``core`` and ``uncore`` are parts of the package
and ``psys`` overlaps it, so adding them would count energy twice. Components: ``cpu`` (all
packages), ``dram`` (all DRAM zones) and, with several sockets, per-socket breakdowns
``cpu:package-N`` / ``dram:package-N``.

``energy_uj`` is a microjoule counter that wraps at ``max_energy_range_uj`` (about 262 kJ, i.e.
minutes at server power); every read folds the increase since the previous read into a running
total, adding the range when the counter went down, and a daemon thread reads every
:data:`POLL_S` seconds so that no window can miss a whole wrap. Counters are machine-wide: they
include every process on the socket, not only the measured one.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from greenbench.energy.sampler import Ticker
from greenbench.energy.sources import SourceFactory, SourceOptions
from greenbench.errors import GreenbenchError

#: Seconds between background reads; far shorter than the fastest wrap (262 kJ at 1 kW).
POLL_S = 30.0

_ZONE = re.compile(r"^(intel|amd)-rapl:(\d+)(?::(\d+))?$")


def powercap_root() -> Path:
    """``$GREENBENCH_POWERCAP_ROOT`` or ``/sys/class/powercap``."""
    return Path(os.environ.get("GREENBENCH_POWERCAP_ROOT") or "/sys/class/powercap")


@dataclass
class _Zone:
    component: str  # "cpu" or "dram"
    package: str  # "package-0", ...
    path: Path
    max_uj: int
    last_uj: int
    total_uj: int = 0


def _read_int(path: Path) -> int:
    with open(path, encoding="ascii") as fh:
        return int(fh.read().strip())


def _unreadable(path: Path, exc: OSError) -> GreenbenchError:
    if isinstance(exc, PermissionError):
        return GreenbenchError(
            f"cannot read {path}: RAPL counters under /sys/class/powercap are root-only since "
            f"Linux 5.10: run as root or `sudo chmod a+r {path.parent.parent}/*/energy_uj`"
        )
    return GreenbenchError(f"cannot read RAPL counter {path}: {exc.strerror or exc}")


def discover(root: Path) -> list[_Zone]:
    """Package and dram zones under ``root``; GreenbenchError when none or unreadable."""
    if not root.is_dir():
        raise GreenbenchError(
            f"no RAPL powercap tree at {root} (needs Linux with the intel_rapl driver; "
            "set GREENBENCH_POWERCAP_ROOT to use another tree)"
        )
    matches = [(m, p) for p in root.iterdir() if (m := _ZONE.match(p.name))]
    entries = sorted(matches, key=lambda mp: (mp[0][1], int(mp[0][2]), int(mp[0][3] or -1)))
    if not entries:
        raise GreenbenchError(f"no intel-rapl or amd-rapl zones under {root}")
    packages: dict[str, str] = {}
    zones: list[_Zone] = []
    for match, path in entries:  # sorted: a package precedes its subzones
        key = f"{match.group(1)}:{match.group(2)}"
        try:
            name = (path / "name").read_text().strip()
            if match.group(3) is None:
                if not name.startswith("package"):
                    continue  # psys: whole platform, overlaps the packages
                packages[key] = name
                component = "cpu"
            elif name == "dram":
                component = "dram"
            else:
                continue  # core / uncore are parts of the package
            package = packages.get(key, f"package-{match.group(2)}")
            max_uj = _read_int(path / "max_energy_range_uj")
            now = _read_int(path / "energy_uj")
        except OSError as exc:
            raise _unreadable(Path(exc.filename or path), exc) from exc
        zones.append(_Zone(component, package, path / "energy_uj", max_uj, now))
    if not any(z.component == "cpu" for z in zones):
        raise GreenbenchError(f"no RAPL package zone under {root}")
    return zones


class RaplSource:
    """Measured CPU package and DRAM energy from powercap (``measured:rapl``)."""

    name = "rapl"

    def __init__(self, root: Path | None = None, poll_s: float = POLL_S) -> None:
        self.root = root or powercap_root()
        self._zones = discover(self.root)
        self._lock = threading.Lock()
        multi = len({z.package for z in self._zones}) > 1
        self.components = sorted({z.component for z in self._zones})
        if multi:
            self.components += sorted({f"{z.component}:{z.package}" for z in self._zones})
        self._breakdown = multi
        self.provenance = {c: "measured:rapl" for c in self.components}
        self.host_wide = tuple(self.components)  # sockets, not processes: shared with co-tenants
        self._ticker = Ticker(self._poll, poll_s, "greenbench-rapl-wrap")
        self._ticker.start()

    def _poll(self) -> None:
        with contextlib.suppress(GreenbenchError):  # the next window read raises it to the user
            self.read()

    def read(self) -> dict[str, float]:
        """Energy per component since the source was created, in joules (wraps folded in)."""
        out: dict[str, float] = dict.fromkeys(self.components, 0.0)
        with self._lock:
            for zone in self._zones:
                try:
                    now = _read_int(zone.path)
                except OSError as exc:
                    raise _unreadable(zone.path, exc) from exc
                delta = now - zone.last_uj
                if delta < 0:
                    delta += zone.max_uj
                zone.total_uj += delta
                zone.last_uj = now
                joules = zone.total_uj / 1e6
                out[zone.component] += joules
                if self._breakdown:
                    out[f"{zone.component}:{zone.package}"] += joules
        return out

    def begin(self) -> dict[str, float]:
        """State at window open: the running totals."""
        return self.read()

    def end(self, state: dict[str, float]) -> dict[str, float]:
        """Joules per component since :meth:`begin` returned ``state``."""
        now = self.read()
        return {k: now[k] - state[k] for k in self.components}

    def close(self) -> None:
        """Stop the wraparound thread."""
        self._ticker.stop()


def _build(options: SourceOptions) -> RaplSource:
    return RaplSource()  # device-wide: the process tree does not matter


#: The ``rapl`` entry of :data:`greenbench.energy.SOURCES`.
FACTORY = SourceFactory(build=_build)
