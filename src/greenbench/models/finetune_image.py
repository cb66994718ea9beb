"""Fine-tuning an image classifier on labelled images: a linear probe of its head, or all of it.

Shared by the backends that serve image classifiers (``torch``: the zoo's EfficientNet-Lite;
``hf``: transformers image classifiers); each passes its own preprocessing, the one it uses at
inference, so the model trains on what it will be evaluated on. A plain torch loop, like the
language models' (:mod:`greenbench.models.finetune`), for the same reason: nothing but training
inside the energy window.

- ``head`` (linear probe): every parameter is frozen and the model stays in eval mode (dropout
  off, batch-norm statistics fixed); only the classifier head (the last ``nn.Linear`` with one
  output per label) trains. Frozen and in eval mode, the network gives each image the same head
  input at every step, so it is computed once per image (one forward pass, no gradient) and the
  steps train the head on those inputs: the loss and gradients of running the whole network
  each step, at the cost of one pass. The head must be the model's last operation (its output
  is checked against the model's logits on the first batch).
- ``full``: every parameter trains, the model in train mode; each step preprocesses its batch
  and runs the whole network.
- Loss: cross-entropy of the logits against the class ids (computed in fp32). Forward passes
  under bf16 autocast with ``mixed_precision`` ``bf16`` (:mod:`.mixed_precision`). Optimizer: AdamW
  at a constant ``learning_rate``, no weight decay. Length: ``steps`` if set, else ``epochs``
  passes (default 1) over the images, in seeded shuffles (reshuffled each epoch).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from greenbench.errors import GreenbenchError
from greenbench.models import mixed_precision
from greenbench.models.base import FineTuneResult
from greenbench.models.classifier_labels import label_ids
from greenbench.models.finetune import LossEnds, count_steps
from greenbench.models.spec import FineTune

#: Preprocesses PIL images into the model's input batch, on its device and dtype.
ToPixels = Callable[[Sequence[Any]], torch.Tensor]
#: Runs the model on an input batch; returns logits ``[batch, labels]``.
Forward = Callable[[torch.Tensor], torch.Tensor]


def classifier_head(model: torch.nn.Module, n_labels: int) -> torch.nn.Linear:
    """The model's classifier head: its last ``nn.Linear`` with ``n_labels`` outputs."""
    heads = [
        m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.out_features == n_labels
    ]
    if not heads:
        raise GreenbenchError(
            f"variant.finetune.method 'head': the model has no linear layer with one output "
            f"per label ({n_labels}); use method 'full'"
        )
    return heads[-1]


def batch_order(n: int, batch_size: int, steps: int, rng: random.Random) -> Iterator[list[int]]:
    """``steps`` batches of indices into ``n`` items: seeded shuffles, reshuffled each epoch."""
    order: list[int] = []
    for _ in range(steps):
        while len(order) < min(batch_size, n):
            epoch = list(range(n))
            rng.shuffle(epoch)
            order.extend(epoch)
        picked, order = order[:batch_size], order[batch_size:]
        yield picked


def head_inputs(
    model: torch.nn.Module,
    head: torch.nn.Linear,
    images: Sequence[Any],
    to_pixels: ToPixels,
    forward: Forward,
    batch_size: int,
) -> torch.Tensor:
    """What ``head`` receives for each image, ``[images, head.in_features]``: one forward pass
    per image, no gradient; GreenbenchError when the model does more after its head."""
    captured: list[torch.Tensor] = []
    outputs: list[torch.Tensor] = []

    def hook(_module, args, output):
        captured.append(args[0].detach())
        outputs.append(output.detach())

    handle = head.register_forward_hook(hook)
    try:
        chunks = []
        for start in range(0, len(images), batch_size):
            with torch.no_grad():
                logits = forward(to_pixels(images[start : start + batch_size]))
            if start == 0 and not torch.equal(outputs[-1], logits):
                raise GreenbenchError(
                    "variant.finetune.method 'head': the model transforms its head's output; "
                    "use method 'full'"
                )
            chunks.append(captured[-1])
            captured.clear()
            outputs.clear()
    finally:
        handle.remove()
    return torch.cat(chunks)


def finetune_classifier(
    model: torch.nn.Module,
    examples: Sequence[tuple[Any, str]],
    config: FineTune,
    *,
    labels: Sequence[str],
    to_pixels: ToPixels,
    forward: Forward,
    output_dir: str | None = None,
    on_step: Callable[[int], None] | None = None,
) -> FineTuneResult:
    """Train ``model`` in place on ``(image, class name)`` examples; return what was done.

    ``labels``: the model's class names in output order (class names are matched to them by
    :func:`greenbench.models.classifier_labels.label_ids`). At most ``config.train_samples``
    examples are used, in a seeded shuffle. ``output_dir``: the trained parameters are saved
    there (``trained_params.pt``, a state dict of the parameters that trained). ``on_step(1)``
    after each optimizer step. The model is left in eval mode with no trainable parameter.
    """
    if not examples:
        raise GreenbenchError("variant.finetune.data: no training images")
    if config.method not in ("head", "full"):
        raise GreenbenchError(
            f"variant.finetune.method {config.method!r}: an image classifier takes 'head' or 'full'"
        )
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    examples = list(examples)
    rng.shuffle(examples)
    examples = examples[: config.train_samples]
    images = [image for image, _ in examples]
    targets_all = torch.tensor(label_ids([name for _, name in examples], labels, "training data"))
    steps = count_steps(config, len(examples))

    device = next(model.parameters()).device
    precision = mixed_precision.resolve(config.mixed_precision, device)
    model.requires_grad_(config.method == "full")
    if config.method == "head":
        head = classifier_head(model, len(labels))
        model.eval()
        with mixed_precision.autocast(precision, device):
            features = head_inputs(model, head, images, to_pixels, forward, config.batch_size)
        head.requires_grad_(True)
        trained = head
    else:
        model.train()
        trained = model
    parameters = [p for p in trained.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=0.0)

    losses: list[float] = []
    for picked in batch_order(len(examples), config.batch_size, steps, rng):
        with mixed_precision.autocast(precision, device):
            if config.method == "head":
                logits = head(features[picked])
            else:
                logits = forward(to_pixels([images[i] for i in picked]))
        targets = targets_all[picked].to(logits.device)
        loss = torch.nn.functional.cross_entropy(logits.float(), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        if on_step is not None:
            on_step(1)

    model.eval()
    trainable = sum(p.numel() for p in parameters)
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        state = {name: p.detach().cpu() for name, p in model.named_parameters() if p.requires_grad}
        torch.save(state, Path(output_dir) / "trained_params.pt")
    model.requires_grad_(False)
    ends = LossEnds.of(losses)
    return FineTuneResult(
        steps=steps,
        train_samples=len(examples),
        loss_first=ends.first,
        loss_last=ends.last,
        trainable_params=trainable,
        tokens=None,
        adapter_path=output_dir,
        mixed_precision=precision,
        extra={
            "method": config.method,
            "loss_interval_steps": ends.interval,
            "images": len(images),
        },
    )
