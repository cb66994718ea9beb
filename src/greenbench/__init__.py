"""greenbench: what a model variant achieves on a task, and what it costs in energy and carbon."""

__version__ = "0.1.0"

__all__ = ["EnergyMeter", "__version__"]


def __getattr__(name: str):
    # Lazy so that `import greenbench` stays cheap for the CLI and for subpackages.
    if name == "EnergyMeter":
        from greenbench.energy import EnergyMeter

        return EnergyMeter
    raise AttributeError(f"module 'greenbench' has no attribute {name!r}")
