"""Tasks: declarative YAML specs, offline samples and hub datasets, prompts, scoring.

>>> from greenbench.tasks import load_task
>>> task = load_task("sentiment")            # offline sample shipped with greenbench
>>> samples = task.samples(limit=4)
>>> score = task.score(samples, {s.id: s.reference for s in samples})
>>> score.metrics["accuracy"].value
1.0
"""

from __future__ import annotations

from greenbench.metrics.quality import MetricValue
from greenbench.tasks.loader import list_tasks, load_task
from greenbench.tasks.scoring import TaskScore
from greenbench.tasks.spec import TaskSpec
from greenbench.tasks.task import Sample, Task

__all__ = ["MetricValue", "Sample", "Task", "TaskScore", "TaskSpec", "list_tasks", "load_task"]
