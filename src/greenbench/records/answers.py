"""What a job answered, and the per-task checks on it: degenerate answers, the majority-class and
chance baselines of a label task, and a variant's agreement with its model's reference variant.

A job keeps its answers in its record (:class:`~greenbench.records.schema.Answers`): per sample,
the chosen label (label and classifier tasks) or a digest of the generated text. The checks read
only records, so ``results.json``, the store and every view get the same figures; they are wired
into the task figures by :mod:`greenbench.records.per_task`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from greenbench.records.schema import Answers, JobRecord

#: A label task whose most frequent answer reaches this share of samples is flagged.
DOMINANT_SHARE = 0.95
#: Fewest samples for a flag: with one sample every answer is "constant".
MIN_SAMPLES = 2
#: How an answer that is no label (unparseable output) is named in a warning.
NO_LABEL = "no label (unparseable)"


def text_digest(text: str) -> str:
    """``sha256:`` + the first 16 hex digits of the SHA-256 of ``text`` stripped (UTF-8): equal
    generations have equal digests, and a record stays small however long the texts are."""
    return "sha256:" + hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def label_answers(
    given: Mapping[str, str | None],
    references: Mapping[str, Sequence[str]] | None = None,
    choices: Sequence[str] | None = None,
) -> Answers:
    """The answers of a label task: sample id -> chosen label (None: none could be read);
    ``references``: sample id -> accepted labels; ``choices``: the task's labels."""
    return Answers(
        kind="label",
        given=dict(given),
        references={k: list(v) for k, v in references.items()} if references else None,
        choices=list(choices) if choices else None,
    )


def text_answers(given: Mapping[str, str | None]) -> Answers:
    """The answers of a generation task: sample id -> :func:`text_digest` of the text."""
    return Answers(
        kind="text", given={k: None if v is None else text_digest(v) for k, v in given.items()}
    )


def answer_warning(answers: Answers | None) -> str | None:
    """Why a job's answers are degenerate, or None: every answer the same, or (label tasks)
    one label given for at least :data:`DOMINANT_SHARE` of the samples."""
    if answers is None or len(answers.given) < MIN_SAMPLES:
        return None
    n = len(answers.given)
    top, count = Counter(answers.given.values()).most_common(1)[0]
    if answers.kind == "text":
        return f"constant answer: all {n} answers are the same text" if count == n else None
    if count / n < DOMINANT_SHARE:
        return None
    name = NO_LABEL if top is None else repr(top)
    if count == n:
        return f"constant answer: all {n} answers are {name}"
    return f"degenerate answers: {count} of {n} ({count / n:.0%}) are {name}"


@dataclass(frozen=True)
class Baselines:
    """What a label task's accuracy is without a model, over one job's samples (fractions 0..1)."""

    samples: int
    """Samples they are computed over."""
    majority: float
    """Accuracy of always answering :attr:`majority_label`."""
    majority_label: str
    """The label accepted by the most samples (the first of the task's labels on a tie)."""
    chance: float
    """Expected accuracy of a label drawn uniformly from the task's labels: the mean over
    samples of (accepted labels) / (labels)."""


def baselines(answers: Answers | None) -> Baselines | None:
    """The majority-class and chance baselines of a label task's samples; None for other tasks
    (or a record without references and labels)."""
    if answers is None or answers.kind != "label" or not answers.references or not answers.choices:
        return None
    refs = [set(r) for r in answers.references.values()]
    choices = answers.choices
    accepted = {c: sum(c in r for r in refs) for c in choices}
    label = max(choices, key=lambda c: accepted[c])  # max keeps the first on a tie
    n = len(refs)
    return Baselines(
        samples=n,
        majority=accepted[label] / n,
        majority_label=label,
        chance=sum(len(r & set(choices)) for r in refs) / (len(choices) * n),
    )


@dataclass(frozen=True)
class Agreement:
    """How often a variant answers as its model's reference variant does, on one task."""

    value: float | None
    """Fraction 0..1 of the common samples with the same answer; None with :attr:`note`."""
    reference_job_id: str | None
    """The job of the reference variant (None when the model has none in the set)."""
    note: str | None = None
    """Why :attr:`value` is None, e.g. ``the reference variant``."""


def is_plain(record: JobRecord) -> bool:
    """A variant with neither quantization nor fine-tuning."""
    quant = record.variant.quantization
    return quant in (None, "none") and record.variant.finetune is None


def reference_job(records: Sequence[JobRecord]) -> JobRecord | None:
    """The reference among one model's ok jobs on one task: the first plain (:func:`is_plain`)
    fp32 job on the model's own backend, else the first plain fp32 job, else the first plain job
    (record order); None when none is plain or none kept answers."""
    plain = [r for r in records if r.ok and r.answers is not None and is_plain(r)]
    fp32 = [r for r in plain if r.variant.dtype in (None, "fp32", "float32")]
    own = [r for r in fp32 if r.variant.backend in (None, r.model.kind)]
    for group in (own, fp32, plain):
        if group:
            return group[0]
    return None


def agreement(record: JobRecord, reference: JobRecord | None) -> Agreement:
    """The agreement of ``record``'s answers with ``reference``'s on the samples both answered.

    A sample agrees when both answers are equal and not None (two unparseable outputs are not
    the same answer)."""
    if reference is None:
        return Agreement(None, None, note="no plain (unquantized, not fine-tuned) reference")
    if record.job_id == reference.job_id:
        return Agreement(None, reference.job_id, note="the reference variant")
    if record.answers is None or reference.answers is None:
        return Agreement(None, reference.job_id, note="no answers kept in the record")
    mine, theirs = record.answers.given, reference.answers.given
    common = [k for k in mine if k in theirs]
    if not common:
        return Agreement(None, reference.job_id, note="no sample in common with the reference")
    same = sum(mine[k] is not None and mine[k] == theirs[k] for k in common)
    return Agreement(same / len(common), reference.job_id)


def agreements(records: Sequence[JobRecord]) -> dict[str, Agreement]:
    """Job id -> :class:`Agreement` for the ok jobs of one task, each against the reference of
    its own model (:func:`reference_job`)."""
    by_model: dict[str, list[JobRecord]] = {}
    for record in records:
        if record.ok:
            by_model.setdefault(str(record.model.name), []).append(record)
    out: dict[str, Agreement] = {}
    for jobs in by_model.values():
        reference = reference_job(jobs)
        for record in jobs:
            out[record.job_id] = agreement(record, reference)
    return out
