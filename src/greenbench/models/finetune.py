"""Fine-tuning a loaded transformers model: LoRA and QLoRA through peft, or full fine-tuning.

The training loop is our own plain torch loop rather than ``transformers.Trainer``: the sweep
wraps this call in an energy window, and the loop keeps that window free of Trainer's logging,
callbacks, evaluation hooks and checkpointing, whose cost would be billed to the fine-tuning.

- Loss: token cross-entropy on the completion only (prompt and padding labels are -100).
- Optimizer: AdamW at a constant ``learning_rate`` (no schedule, no warmup), no weight decay.
- Precision: ``mixed_precision`` ``bf16`` runs each forward pass under bf16 autocast, weights,
  gradients and optimizer state staying in the model's dtype (:mod:`.mixed_precision`).
- Length: ``steps`` optimizer steps if set, else ``epochs`` passes (default 1) over the pairs.
- Sequences longer than :data:`MAX_TOKENS` are truncated (prompt first kept, completion cut).
- Shared prompt prefix (causal models): when every sequence of a batch starts with the same
  :data:`MIN_SHARED_PREFIX` or more prompt tokens (a task's instructions and schema), that prefix
  is run once and its key/value cache repeated for each row — gradients flow through the repeat,
  so loss and gradients are those of the padded batch (to float rounding) at a fraction of the
  compute: a text-to-SQL batch of 4 on SmolLM2-135M runs ~2.5× fewer tokens (with LoRA dropout,
  the rows share the prefix's dropout mask).
- After LoRA the adapter is saved, then merged into the base weights (what one deploys; inference
  costs what the base model costs). After QLoRA it stays unmerged (merging into 4-bit weights
  would round them). A variant quantized ``int8-dynamic`` is quantized after the merge.
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from greenbench.errors import GreenbenchError
from greenbench.models import mixed_precision
from greenbench.models.base import FineTuneResult
from greenbench.models.spec import FineTune

#: Longest training sequence, in tokens (prompt + completion).
MAX_TOKENS = 1024
#: ``loss_first`` / ``loss_last`` average this fraction of the steps (at least one step).
LOSS_INTERVAL_FRACTION = 0.2
#: Shortest common prompt prefix (tokens) a batch runs once instead of once per row.
MIN_SHARED_PREFIX = 32


def linear_module_names(model) -> list[str]:
    """Leaf names of the model's ``nn.Linear``-like layers (bitsandbytes layers included)."""
    names = set()
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) or type(module).__name__ in (
            "Linear8bitLt",
            "Linear4bit",
        ):
            names.add(name.rsplit(".", 1)[-1])
    return sorted(names)


def attention_linear_names(model) -> list[str]:
    """Leaf names of linear layers inside attention blocks (``attn``/``attention`` in the path)."""
    names = set()
    for name, module in model.named_modules():
        path = name.lower()
        if isinstance(module, torch.nn.Linear) and ("attn" in path or "attention" in path):
            names.add(name.rsplit(".", 1)[-1])
    return sorted(names)


def lora_targets(model, config: FineTune) -> list[str]:
    """The module names LoRA adapts; raises if a requested one is absent from the model.

    Default (``target_modules: null``): peft's choice for the model type, else every linear
    layer inside attention blocks.
    """
    from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as PEFT_DEFAULTS

    available = linear_module_names(model)
    if config.target_modules is not None:
        missing = [t for t in config.target_modules if t not in available]
        if missing:
            raise GreenbenchError(
                f"variant.finetune.target_modules {missing} not in the model; its linear layers "
                f"are: {', '.join(available)}"
            )
        return list(config.target_modules)
    defaults = PEFT_DEFAULTS.get(getattr(model.config, "model_type", ""))
    targets = [t for t in (defaults or []) if t in available] or attention_linear_names(model)
    if not targets:
        raise GreenbenchError(
            "variant.finetune.target_modules: no attention linear layers found; name them "
            f"(linear layers: {', '.join(available)})"
        )
    return targets


def wrap_lora(model, config: FineTune, targets: list[str]):
    """``model`` wrapped by peft with a LoRA adapter on ``targets`` (QLoRA: prepared for k-bit
    training first)."""
    from peft import LoraConfig, TaskType, get_peft_model, prepare_model_for_kbit_training

    if config.method == "qlora":
        model = prepare_model_for_kbit_training(model)
    task = TaskType.SEQ_2_SEQ_LM if model.config.is_encoder_decoder else TaskType.CAUSAL_LM
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=targets,
        task_type=task,
    )
    return get_peft_model(model, lora)


def encode_pairs(
    tokenizer, pairs: Sequence[tuple[str, str]], *, encoder_decoder: bool, add_special_tokens: bool
) -> list[dict[str, list[int]]]:
    """Token ids and labels per pair; labels are -100 outside the completion (+ EOS).

    Causal: ``input_ids`` = prompt + completion + EOS, labels mask the prompt. Encoder-decoder:
    ``input_ids`` = prompt, ``labels`` = completion + EOS.
    """
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    examples = []
    for prompt, completion in pairs:
        prompt_ids = tokenizer(prompt, add_special_tokens=add_special_tokens)["input_ids"]
        target = tokenizer(completion, add_special_tokens=False)["input_ids"] + eos
        if encoder_decoder:
            examples.append({"input_ids": prompt_ids[:MAX_TOKENS], "labels": target[:MAX_TOKENS]})
        else:
            ids = (prompt_ids + target)[:MAX_TOKENS]
            labels = ([-100] * len(prompt_ids) + target)[:MAX_TOKENS]
            examples.append({"input_ids": ids, "labels": labels})
    return examples


def collate(examples: list[dict[str, list[int]]], pad_id: int, device) -> dict[str, torch.Tensor]:
    """Right-padded ``[batch, tokens]`` input_ids, attention_mask, labels (-100 on pads)."""
    width = max(len(e["input_ids"]) for e in examples)
    label_width = max(len(e["labels"]) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), label_width), -100, dtype=torch.long)
    for row, e in enumerate(examples):
        ids[row, : len(e["input_ids"])] = torch.tensor(e["input_ids"])
        mask[row, : len(e["input_ids"])] = 1
        labels[row, : len(e["labels"])] = torch.tensor(e["labels"])
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "labels": labels.to(device),
    }


@dataclass(frozen=True)
class LossEnds:
    """Mean training loss over the first and the last :data:`LOSS_INTERVAL_FRACTION` of the
    steps (at least one step each), nats per token (per image for classifiers)."""

    first: float
    last: float
    interval: int
    """Steps averaged at each end."""

    @classmethod
    def of(cls, losses: Sequence[float]) -> LossEnds:
        interval = max(1, round(len(losses) * LOSS_INTERVAL_FRACTION))
        return cls(sum(losses[:interval]) / interval, sum(losses[-interval:]) / interval, interval)


def count_steps(config: FineTune, n_pairs: int) -> int:
    """Optimizer steps: ``steps`` if set, else ``ceil(epochs * batches per epoch)`` (1 epoch)."""
    if config.steps is not None:
        return config.steps
    batches = math.ceil(n_pairs / config.batch_size)
    return max(1, math.ceil((config.epochs or 1.0) * batches))


def finetune(
    model,
    tokenizer,
    pairs: Sequence[tuple[str, str]],
    config: FineTune,
    *,
    device,
    add_special_tokens: bool = True,
    output_dir: str | None = None,
    on_step: Callable[[int], None] | None = None,
):
    """Train ``model`` on ``(prompt, completion)`` pairs; return ``(model to serve, result)``.

    ``pairs`` are used in a seeded shuffle, at most ``config.train_samples`` of them.
    ``output_dir``: the adapter (LoRA/QLoRA) or the full weights and tokenizer are saved there.
    ``on_step(1)`` is called after each optimizer step (progress).
    """
    if not pairs:
        raise GreenbenchError("variant.finetune.data: no training pairs")
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    pairs = list(pairs)
    rng.shuffle(pairs)
    pairs = pairs[: config.train_samples]
    encoder_decoder = bool(model.config.is_encoder_decoder)
    examples = encode_pairs(
        tokenizer, pairs, encoder_decoder=encoder_decoder, add_special_tokens=add_special_tokens
    )

    targets = None if config.method == "full" else lora_targets(model, config)
    if targets is None:
        model.requires_grad_(True)
    else:
        model = wrap_lora(model, config, targets)
    trainable = [p for p in model.parameters() if p.requires_grad]
    trainable_count = sum(p.numel() for p in trainable)
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)

    steps = count_steps(config, len(examples))
    precision = mixed_precision.resolve(config.mixed_precision, device)
    losses, tokens = train_loop(
        model,
        optimizer,
        examples,
        config,
        steps,
        tokenizer,
        device,
        rng,
        on_step=on_step,
        precision=precision,
    )
    model.eval()

    ends = LossEnds.of(losses)
    merged = config.method == "lora"
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        model.save_pretrained(output_dir)
        tokenizer.save_pretrained(output_dir)
    if merged:
        model = model.merge_and_unload()
    model.requires_grad_(False)
    result = FineTuneResult(
        steps=steps,
        train_samples=len(examples),
        loss_first=ends.first,
        loss_last=ends.last,
        trainable_params=trainable_count,
        tokens=tokens,
        adapter_path=output_dir,
        mixed_precision=precision,
        extra={
            "method": config.method,
            "merged": merged,
            "target_modules": targets,
            "loss_interval_steps": ends.interval,
        },
    )
    return model, result


def train_loop(
    model,
    optimizer,
    examples,
    config: FineTune,
    steps: int,
    tokenizer,
    device,
    rng,
    on_step=None,
    precision: mixed_precision.MixedPrecision = "no",
):
    """``steps`` AdamW steps over shuffled batches (reshuffled each epoch); ``on_step(1)`` after
    each. ``precision`` ``bf16``: each forward pass under bf16 autocast (the backward outside it).

    Returns (loss per step in nats/token, tokens trained on: prompt and completion per sequence).
    """
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    model.train()
    losses: list[float] = []
    tokens = 0
    order: list[int] = []
    for _ in range(steps):
        while len(order) < config.batch_size:
            epoch = list(range(len(examples)))
            rng.shuffle(epoch)
            order.extend(epoch)
        picked, order = order[: config.batch_size], order[config.batch_size :]
        rows = [examples[i] for i in picked]
        with mixed_precision.autocast(precision, device):
            loss = batch_loss(model, rows, pad_id, device)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        tokens += sum(len(e["input_ids"]) + _decoder_tokens(model, e) for e in rows)
        if on_step is not None:
            on_step(1)
    return losses, tokens


def _decoder_tokens(model, example: dict[str, list[int]]) -> int:
    return len(example["labels"]) if model.config.is_encoder_decoder else 0


def batch_loss(model, rows: list[dict[str, list[int]]], pad_id: int, device) -> torch.Tensor:
    """Mean completion-token cross-entropy of ``rows``, running a shared prompt prefix once."""
    shared = 0 if model.config.is_encoder_decoder else shared_prefix(rows)
    if len(rows) < 2 or shared < MIN_SHARED_PREFIX:
        return model(**collate(rows, pad_id, device)).loss
    prefix = torch.tensor([rows[0]["input_ids"][:shared]], device=device)
    out = model(input_ids=prefix, use_cache=True)
    cache = out.cache if getattr(out, "cache", None) is not None else out.past_key_values
    cache.batch_repeat_interleave(len(rows))
    rest = collate(
        [{"input_ids": e["input_ids"][shared:], "labels": e["labels"][shared:]} for e in rows],
        pad_id,
        device,
    )
    seen = torch.ones((len(rows), shared), dtype=rest["attention_mask"].dtype, device=device)
    rest["attention_mask"] = torch.cat([seen, rest["attention_mask"]], dim=1)
    return model(**rest, **{_cache_argument(model): cache}, use_cache=True).loss


def _cache_argument(model) -> str:
    """The forward argument taking a KV cache: ``cache`` (transformers 5.x), else the older
    ``past_key_values``."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def shared_prefix(rows: list[dict[str, list[int]]]) -> int:
    """Tokens at the start of every row's ``input_ids`` that are the same prompt tokens in all.

    Stops before the first labelled token and leaves each row at least two tokens after it:
    the loss's one-token shift means the prefix's last position predicts no label, so running
    the prefix apart loses no term of the loss.
    """
    first = rows[0]["input_ids"]
    limit = min(len(e["input_ids"]) for e in rows) - 2
    for e in rows:
        labelled = [i for i, label in enumerate(e["labels"]) if label != -100]
        limit = min(limit, (labelled[0] if labelled else len(e["labels"])) - 1)
    n = 0
    while n < limit and all(e["input_ids"][n] == first[n] for e in rows):
        n += 1
    return n
