"""Zeus-style named windows: ``meter.begin_window("train")`` … ``meter.end_window("train")``.

Zeus's ``ZeusMonitor`` measures between ``begin_window(name)`` and ``end_window(name)`` calls
placed anywhere in a training loop; windows are named, may nest and overlap (``"epoch"``
inside ``"train"``), and ending a window never begun is an error. :class:`NamedWindows` gives
:class:`~greenbench.energy.EnergyMeter` the same two methods on top of its public
``window(name)`` context manager, so both styles measure identically.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from greenbench.errors import GreenbenchError

if TYPE_CHECKING:
    from greenbench.energy.measurement import Measurement
    from greenbench.energy.meter import Window


class NamedWindows:
    """Mixin for a class with a ``window(name)`` context manager yielding a
    :class:`~greenbench.energy.meter.Window`: adds ``begin_window`` / ``end_window``."""

    def _open_windows(self) -> dict[str, tuple[AbstractContextManager[Window], Window]]:
        if not hasattr(self, "_named_windows"):
            self._named_windows: dict[str, tuple[AbstractContextManager[Window], Window]] = {}
        return self._named_windows

    def begin_window(self, name: str) -> None:
        """Start measuring a window called ``name`` (windows of other names may be open).

        Raises:
            GreenbenchError: a window called ``name`` is already open.
        """
        open_windows = self._open_windows()
        if name in open_windows:
            raise GreenbenchError(f"window {name!r} is already open; end it before beginning it")
        manager = self.window(name)  # type: ignore[attr-defined]
        open_windows[name] = (manager, manager.__enter__())

    def end_window(self, name: str) -> Measurement:
        """Stop the window called ``name`` and return its measurement.

        Raises:
            GreenbenchError: no window called ``name`` was begun (the message names it and the
                windows that are open).
        """
        open_windows = self._open_windows()
        if name not in open_windows:
            others = ", ".join(repr(n) for n in open_windows) or "none"
            raise GreenbenchError(f"window {name!r} was never begun; open windows: {others}")
        manager, window = open_windows.pop(name)
        manager.__exit__(None, None, None)
        assert window.measurement is not None
        return window.measurement

    @property
    def open_windows(self) -> list[str]:
        """Names of the windows begun and not yet ended, oldest first."""
        return list(self._open_windows())
