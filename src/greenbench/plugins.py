"""Catalogues of extensions: greenbench's own entries plus those other packages register.

Each kind of extension has one :class:`Catalogue`, a read-only mapping from a name to a
``"module:attribute"`` reference, imported only when :meth:`Catalogue.load` asks for it:

- group ``greenbench.energy_sources``: :data:`greenbench.energy.SOURCES`, the attribute is a
  source factory (:class:`greenbench.energy.SourceFactory`, or a callable taking
  :class:`greenbench.energy.SourceOptions` and returning a :class:`greenbench.energy.Source`);
- group ``greenbench.backends``: :data:`greenbench.models.registry.BACKENDS`, the attribute is a
  :class:`greenbench.models.Backend` subclass;
- group ``greenbench.tasks``: :data:`greenbench.tasks.loader.TASK_PLUGINS`, the attribute is the
  path of a task YAML file (``str`` or ``os.PathLike``).

A third-party package registers in its ``pyproject.toml``::

    [project.entry-points."greenbench.backends"]
    vllm = "greenbench_vllm.backend:VllmBackend"

Entry points are read (``importlib.metadata.entry_points``) the first time a catalogue is asked
for a name it does not hold or for all its names, never at import; greenbench's own entries win
over a plugin of the same name. This module imports only the standard library (and greenbench's own
error type, itself stdlib-only), so every package may use it whatever ``DESIGN.md`` lets it import
otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar, cast

from greenbench.errors import GreenbenchError

T = TypeVar("T")


class Catalogue(Mapping[str, str], Generic[T]):
    """Name -> ``"module:attribute"`` of one kind of extension, built-ins first.

    Args:
        group: the entry-point group third parties register in (``greenbench.backends``, …).
        builtin: greenbench's own entries, name -> ``"module:attribute"``, in listing order.
    """

    def __init__(self, group: str, builtin: Mapping[str, str]) -> None:
        self.group = group
        self._builtin = {name: EntryPoint(name, ref, group) for name, ref in builtin.items()}
        self._found: dict[str, EntryPoint] | None = None

    def _entries(self) -> dict[str, EntryPoint]:
        if self._found is None:
            plugins = {ep.name: ep for ep in entry_points(group=self.group)}
            # Listing order: built-ins as declared, then plugins by name.
            extra = sorted(set(plugins) - set(self._builtin))
            self._found = {**self._builtin, **{name: plugins[name] for name in extra}}
        return self._found

    def __getitem__(self, name: str) -> str:
        entry = self._builtin.get(name) or self._entries()[name]
        return entry.value

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries())

    def __len__(self) -> int:
        return len(self._entries())

    def __contains__(self, name: object) -> bool:
        return name in self._builtin or name in self._entries()

    def builtin(self) -> list[str]:
        """Names of greenbench's own entries, without reading entry points."""
        return list(self._builtin)

    def load(self, name: str) -> T:
        """Import and return the object registered as ``name`` (KeyError when none is).

        A built-in's import errors propagate: the caller knows which extra to suggest. A
        plugin that cannot be imported, or names an attribute its module lacks, is a
        :class:`GreenbenchError` naming the plugin, its group and its reference.
        """
        if name in self._builtin:
            return cast(T, self._builtin[name].load())
        entry = self._entries()[name]
        try:
            return cast(T, entry.load())
        except (ImportError, AttributeError) as exc:
            raise GreenbenchError(
                f"{self.group} plugin {name!r} = {entry.value!r} cannot be loaded: "
                f"{type(exc).__name__}: {exc}"
            ) from None

    def refresh(self) -> None:
        """Forget the entry points read so far (after installing a plugin in this process)."""
        self._found = None
