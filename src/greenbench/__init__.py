"""greenbench: what a model variant achieves on a task, and what it costs in energy and carbon."""

__version__ = "0.1.0"

__all__ = ["EnergyMeter", "Results", "__version__", "evaluate", "load", "measured"]

#: Public names imported on first use: name -> module holding it.
_LAZY = {
    "EnergyMeter": "greenbench.energy",
    "Results": "greenbench.api",
    "evaluate": "greenbench.api",
    "load": "greenbench.api",
    "measured": "greenbench.tracking.decorator",
}


def __getattr__(name: str):
    # Lazy so that `import greenbench` stays cheap for the CLI and for subpackages.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'greenbench' has no attribute {name!r}")
