"""Metrics: ``quality`` (how good the answers are, with bootstrap CIs) and ``efficiency`` (CEGI,
GQI, per-query figures, Pareto frontiers, break-even)."""
