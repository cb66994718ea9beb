"""Background threads of the meter: a periodic ticker and a time integrator built on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Ticker:
    """Calls ``fn()`` every ``interval_s`` seconds in a daemon thread until :meth:`stop`."""

    def __init__(self, fn: Callable[[], None], interval_s: float, name: str) -> None:
        self._fn = fn
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread (once)."""
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._fn()

    def stop(self) -> None:
        """Stop the thread and wait for it (no-op when never started)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


class Integrator:
    """Integrates sampled rates over time: ``value()`` is ∫ rate dt per key since :meth:`start`.

    ``read()`` returns rates (watts, or gigabytes of resident memory); each sample is held
    until the next one (a left Riemann sum), and :meth:`value` extends the last sample to now, so
    reading costs no sampling. Units out are the rate's units times seconds (J, or GB·s).
    """

    def __init__(self, read: Callable[[], dict[str, float]], interval_s: float, name: str) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._acc: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._last_t = 0.0
        self._ticker = Ticker(self.sample, interval_s, name)
        self._started = False

    def start(self) -> None:
        """Take the first sample and start the sampling thread (idempotent)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._last = self._read()
            self._last_t = time.perf_counter()
        self._ticker.start()

    def sample(self) -> None:
        """Fold the previous sample into the integral and take a new one."""
        rates = self._read()
        with self._lock:
            now = time.perf_counter()
            for key, rate in self._last.items():
                self._acc[key] = self._acc.get(key, 0.0) + rate * (now - self._last_t)
            self._last, self._last_t = rates, now

    def value(self) -> dict[str, float]:
        """∫ rate dt per key from the first sample to now."""
        with self._lock:
            now = time.perf_counter()
            since = now - self._last_t
            keys = self._acc.keys() | self._last.keys()
            return {k: self._acc.get(k, 0.0) + self._last.get(k, 0.0) * since for k in keys}

    def stop(self) -> None:
        """Stop the sampling thread."""
        self._ticker.stop()
