"""Reports of a sweep: the self-contained HTML report, terminal and Markdown leaderboards,
exports (JSON, CSV, Parquet) and the deployment recommendation.

- :func:`write_html` / :func:`render_html` — the HTML report (``html.py``, ``plots.py``)
- :func:`print_leaderboard` — rich leaderboards (``terminal.py``)
- :mod:`greenbench.report.export` — JSON, long CSV/Parquet, Markdown
- :func:`recommend` — which variant to deploy (``recommend.py``), and why (``recommend_reasons.py``)
- :func:`leaderboards` — the rows every view shares (``tables.py``)
"""

from greenbench.report.html import render_html, write_html
from greenbench.report.loading import RunResults, load_run
from greenbench.report.recommend import Recommendation, recommend
from greenbench.report.tables import Leaderboard, leaderboards
from greenbench.report.terminal import print_leaderboard

__all__ = [
    "Leaderboard",
    "Recommendation",
    "RunResults",
    "leaderboards",
    "load_run",
    "print_leaderboard",
    "recommend",
    "render_html",
    "write_html",
]
