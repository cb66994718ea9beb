"""A job's answers for its record (:class:`~greenbench.records.schema.Answers`), read from its
predictions the way its task scores them.

- ``multiple_choice``: the label the output names (:func:`greenbench.tasks.parsing.parse_label`,
  as ``accuracy`` reads it; a prediction that is already a label, as log-likelihood scoring
  gives, reads as itself), with each sample's accepted labels and the task's labels;
- ``classify``: the top-1 class;
- ``generate``: a digest of the stripped text (:func:`greenbench.records.answers.text_digest`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greenbench.records.answers import label_answers, text_answers
from greenbench.records.schema import Answers
from greenbench.tasks.parsing import parse_label

if TYPE_CHECKING:
    from greenbench.tasks.task import Sample, Task


def _accepted(reference: Any) -> list[str]:
    return [str(r) for r in reference] if isinstance(reference, list) else [str(reference)]


def record_answers(task: Task, samples: list[Sample], predictions: dict[str, Any]) -> Answers:
    """The answers of ``predictions`` (sample id -> output; a missing id is None) on ``samples``."""
    spec = task.spec
    raw = {s.id: predictions.get(s.id) for s in samples}
    if spec.output_type == "multiple_choice":
        choices = list(spec.choices or [])
        given = {k: None if v is None else parse_label(str(v), choices) for k, v in raw.items()}
        refs = {s.id: _accepted(s.reference) for s in samples}
        return label_answers(given, refs, choices)
    if spec.output_type == "classify":
        return label_answers({k: str(v[0]) if v else None for k, v in raw.items()})
    return text_answers({k: None if v is None else str(v) for k, v in raw.items()})
