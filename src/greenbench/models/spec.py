"""Model specs and variants: what to load, and in which precision / quantization / fine-tuning.

A :class:`ModelSpec` names a model (hub id, local path, GGUF file or zoo name) and how to run it;
a :class:`Variant` says which deployable form of it to evaluate. Both are pydantic models so a
sweep config validates them with field-named errors.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from greenbench.models.backends import BACKENDS

#: Built-in backends, one module each under ``greenbench.models.backends`` (``torch``: plain
#: torch modules such as the zoo's EfficientNet-Lite, outside transformers); plugins add more
#: (:data:`greenbench.models.backends.BACKENDS`).
BackendKind = Literal["hf", "torch", "llamacpp", "onnx", "estimate"]
#: What the model does; decides which backend verbs apply (``generate``, ``classify``).
Architecture = Literal["causal", "seq2seq", "vision2text", "image-classifier"]
Dtype = Literal["fp32", "fp16", "bf16"]

QUANTIZATIONS = ("none", "int8-dynamic", "int8-weight-only", "bnb-8bit", "bnb-4bit-nf4")
#: The int8 quantizations torch applies on the CPU to fp32 weights after loading.
CPU_INT8 = ("int8-dynamic", "int8-weight-only")
#: Bits per weight of each quantization, for the record's ``variant.bits``.
QUANT_BITS = {"int8-dynamic": 8, "int8-weight-only": 8, "bnb-8bit": 8, "bnb-4bit-nf4": 4}
DTYPE_BITS = {"fp32": 32, "fp16": 16, "bf16": 16}


def known_backend(kind: str) -> str:
    """``kind`` when the backend catalogue holds it (built-in or plugin); else ValueError."""
    if kind not in BACKENDS:
        raise ValueError(f"unknown backend {kind!r}; known: {', '.join(BACKENDS)}")
    return kind


class FineTune(BaseModel):
    """How a variant is fine-tuned before evaluation.

    Language models: ``lora``, ``qlora`` or ``full``; image classifiers: ``head`` (a linear
    probe: only the classifier head trains) or ``full``. ``data`` names the training data:
    ``task`` / ``task:<name>`` takes the task's own training data (never an evaluation item);
    else a path: a JSONL file of ``prompt``/``completion`` (language models) or an image folder
    with one sub-folder per class name (image classifiers).
    """

    model_config = ConfigDict(extra="forbid")

    method: Literal["lora", "qlora", "full", "head"] = "lora"
    rank: int = Field(8, ge=1, description="LoRA rank r")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling alpha")
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | None = Field(
        None, description="module names to adapt; None lets peft pick for the architecture"
    )
    steps: int | None = Field(None, ge=1, description="optimizer steps (wins over epochs)")
    epochs: float | None = Field(None, gt=0)
    learning_rate: float = Field(2e-4, gt=0)
    batch_size: int = Field(8, ge=1)
    train_samples: int = Field(
        200, ge=1, description="training pairs (or labelled images) to draw from `data`"
    )
    data: str = "task"
    seed: int = 0
    mixed_precision: Literal["no", "bf16", "auto"] = Field(
        "no",
        description=(
            "bf16 autocast around the forward pass (weights, gradients and optimizer state stay "
            "in the model's dtype); auto: bf16 where the device computes it natively "
            "(greenbench.models.mixed_precision)"
        ),
    )


class Variant(BaseModel):
    """One deployable form of a model: precision, quantization, batch size, fine-tuning."""

    model_config = ConfigDict(extra="forbid")

    name: str = "base"
    backend: BackendKind | str | None = Field(
        None, description="overrides the model's default backend"
    )
    dtype: Dtype = "fp32"
    quantization: str = Field(
        "none",
        description=(
            "none | int8-dynamic | int8-weight-only | bnb-8bit | bnb-4bit-nf4 | gguf:<level>"
        ),
    )
    batch_size: int | Literal["auto"] = 8
    device: str = Field("auto", description="auto | cpu | cuda | cuda:N")
    finetune: FineTune | None = None

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str | None) -> str | None:
        return None if value is None else known_backend(value)

    @field_validator("quantization")
    @classmethod
    def _known_quantization(cls, value: str) -> str:
        if value in QUANTIZATIONS or (value.startswith("gguf:") and len(value) > 5):
            return value
        allowed = ", ".join((*QUANTIZATIONS, "gguf:<level>"))
        raise ValueError(f"unknown quantization {value!r}; allowed: {allowed}")

    @property
    def bits(self) -> int:
        """Bits per weight this variant computes with (GGUF levels: the digit after Q, e.g. 4)."""
        if self.quantization.startswith("gguf:"):
            level = self.quantization[5:].upper()
            if level.startswith("F16") or level.startswith("BF16"):
                return 16
            if level.startswith("F32"):
                return 32
            digits = "".join(ch for ch in level[1:3] if ch.isdigit())
            return int(digits) if digits else 0
        return QUANT_BITS.get(self.quantization, DTYPE_BITS[self.dtype])


class ProviderLocation(BaseModel):
    """Where a provider serves a model too large to run here: its grid intensity and PUE apply
    to the model's estimated energy (not the sweep's location)."""

    model_config = ConfigDict(extra="forbid")

    country: str | None = Field(None, description="ISO 3166 alpha-3 code, e.g. USA")
    region: str | None = None
    pue: float | None = Field(None, ge=1.0, description="the provider's data-centre PUE")
    carbon_intensity: float | None = Field(None, ge=0, description="fixed gCO2e/kWh")


class ModelSpec(BaseModel):
    """A model to evaluate.

    ``source`` is a hub id (``Qwen/Qwen2.5-0.5B-Instruct``), a local directory, a ``.gguf``
    file, or ``zoo:<name>`` for the offline zoo. ``kind: estimate`` models are not run: their
    quality comes from ``predictions`` or ``endpoint`` and their energy from ``active_params``.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    source: str
    kind: BackendKind | str = Field("hf", description="a backend of BACKENDS (or a plugin's)")
    architecture: Architecture = "causal"
    family: str | None = None
    revision: str | None = None
    chat_template: bool = Field(True, description="wrap prompts in the tokenizer's chat template")
    # kind: estimate
    active_params: float | None = Field(None, gt=0, description="active parameters (estimate)")
    predictions: str | None = Field(None, description="JSONL of id/prediction (estimate)")
    endpoint: str | None = Field(None, description="OpenAI-compatible base URL (estimate)")
    endpoint_model: str | None = None
    # issue 15: how a kind-estimate model's inference cost is scaled, and where it runs
    param_scaling: Literal["epoch2025", "garg2025"] | None = Field(
        None,
        description="estimate: epoch2025 (energy, the default) or garg2025 (Garg et al.'s "
        "per-query emissions, for comparison with the SLM-vs-LLM paper)",
    )
    provider: ProviderLocation | None = Field(
        None, description="estimate: where the provider runs it (its grid and PUE)"
    )

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return known_backend(value)
