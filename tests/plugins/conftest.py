"""A fake installed distribution: a ``*.dist-info`` with ``entry_points.txt`` put on sys.path."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from greenbench.energy import SOURCES
from greenbench.models.backends import BACKENDS
from greenbench.tasks.loader import TASK_PLUGINS

CATALOGUES = (SOURCES, BACKENDS, TASK_PLUGINS)

Install = Callable[[str, str, str, str], None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install(group, name, module, code)``: module ``module`` (``code``) registered as entry
    point ``name = module:PLUGIN`` of ``group``, through the real importlib.metadata lookup."""
    site = tmp_path / "site"
    dist = site / "greenbench_fake_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: greenbench-fake-plugin\n")
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def _install(group: str, name: str, module: str, code: str) -> None:
        (site / f"{module}.py").write_text(textwrap.dedent(code))
        with (dist / "entry_points.txt").open("a") as fh:
            fh.write(f"[{group}]\n{name} = {module}:PLUGIN\n\n")
        modules.append(module)
        for catalogue in CATALOGUES:
            catalogue.refresh()

    yield _install
    for module in modules:
        sys.modules.pop(module, None)
    for catalogue in CATALOGUES:
        catalogue.refresh()  # re-read once sys.path is restored
