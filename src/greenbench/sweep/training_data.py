"""What a fine-tuned variant trains on, as its ``finetune.data`` names it.

Language models: ``(prompt, completion)`` pairs from the task's training data (``task`` or
``task:<name>``) or a JSONL file of ``prompt``/``completion``. Image classifiers
(``architecture: image-classifier``): ``(image, class name)`` pairs from the task's training
images (:meth:`greenbench.tasks.task.Task.training_images`) or an image folder with one
sub-folder per class (:func:`greenbench.tasks.image_folder.load_image_folder`). Never an
evaluation item of the task.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.errors import GreenbenchError
from greenbench.sweep.plan import Job

if TYPE_CHECKING:
    from greenbench.tasks.task import Task


def training_data(job: Job, task: Task) -> list[tuple[Any, str]]:
    """The pairs ``job``'s variant trains on (at most ``finetune.train_samples``)."""
    if job.model.architecture == "image-classifier":
        return _training_images(job, task)
    return _training_pairs(job, task)


def _named_task(job: Job, task: Task) -> Task | None:
    """The task ``finetune.data`` names (``task`` is the job's own), or None for a path."""
    data = job.variant.finetune.data
    if data in ("task", f"task:{job.task}"):
        return task
    if data.startswith("task:"):
        from greenbench.tasks import load_task

        return load_task(data[5:])
    return None


def _training_images(job: Job, task: Task) -> list[tuple[Any, str]]:
    ft = job.variant.finetune
    source = _named_task(job, task)
    if source is not None:
        return source.training_images(ft.train_samples, ft.seed)
    from greenbench.tasks.image_folder import load_image_folder

    return load_image_folder(ft.data, ft.train_samples, ft.seed)


def _training_pairs(job: Job, task: Task) -> list[tuple[Any, str]]:
    ft = job.variant.finetune
    source = _named_task(job, task)
    if source is not None:
        return list(source.training_pairs(ft.train_samples, ft.seed))
    path = Path(ft.data).expanduser()
    if not path.is_file():
        raise GreenbenchError(
            f"variant {job.variant.name!r}: finetune.data: no such file {ft.data!r}; "
            "allowed: task, task:<name> or a JSONL file of prompt/completion"
        )
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pairs.append((row["prompt"], row["completion"]))
    return pairs[: ft.train_samples]
