"""Model inputs per architecture for the ``hf`` backend: text batches, images, probe batches.

Shapes: ``input_ids`` / ``attention_mask`` are ``[batch, tokens]`` (left-padded for causal and
image-text-to-text models, right-padded for seq2seq encoders); ``pixel_values`` is
``[batch, channels, height, width]`` in the model's dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from greenbench.models.backends.hf_generate import Request
from greenbench.models.backends.hf_load import Loaded
from greenbench.models.spec import ModelSpec


def multimodal_text(processor, prompt: str, spec: ModelSpec) -> str:
    """The text an image-text-to-text processor gets: the chat template with one image slot and
    the prompt, or the prompt alone for processors without a template (e.g. BLIP)."""
    if spec.chat_template and getattr(processor, "chat_template", None):
        messages = [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}
        ]
        return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return prompt


def _to_device(loaded: Loaded, encoded) -> dict[str, torch.Tensor]:
    """Move tensors to the model's device; floating ones (pixels) to its dtype."""
    moved = {}
    for key, value in encoded.items():
        if not isinstance(value, torch.Tensor):
            continue
        dtype = loaded.dtype if value.is_floating_point() else None
        moved[key] = value.to(loaded.device, dtype=dtype)
    return moved


def pixel_values(loaded: Loaded, images: Sequence[Any]) -> torch.Tensor:
    """``[batch, 3, H, W]`` pixels from the image processor, on the model's device and dtype."""
    encoded = loaded.processor(images=list(images), return_tensors="pt")
    return _to_device(loaded, {"pixel_values": encoded["pixel_values"]})["pixel_values"]


def batch_inputs(loaded: Loaded, architecture: str, batch: list[Request]) -> dict[str, Any]:
    """Keyword arguments for ``model.generate`` / ``model(...)`` for one batch of requests."""
    if loaded.multimodal:
        encoded = loaded.processor(
            text=[r.text for r in batch],
            images=[r.image for r in batch],
            padding=True,
            return_tensors="pt",
        )
        return _to_device(loaded, encoded)
    if architecture == "vision2text":
        return {"pixel_values": pixel_values(loaded, [r.image for r in batch])}
    encoded = loaded.tokenizer.pad({"input_ids": [r.ids for r in batch]}, return_tensors="pt")
    return _to_device(loaded, encoded)


def prompt_token_counts(loaded: Loaded, batch: list[Request], inputs: dict) -> list[int]:
    """Prompt tokens per request as the model saw them (image tokens included where the
    processor inserts them; 0 text tokens for a vision-encoder-decoder captioner)."""
    if loaded.multimodal:
        return inputs["attention_mask"].sum(dim=1).tolist()
    return [r.length for r in batch]


def probe_inputs(
    loaded: Loaded, architecture: str, batch: list[Request], new_tokens: int
) -> dict[str, Any]:
    """Inputs for a memory probe: the batch with ``new_tokens`` more positions (appended to a
    decoder-only prompt, or as ``decoder_input_ids`` for encoder-decoder models)."""
    inputs = batch_inputs(loaded, architecture, batch)
    size = len(batch)
    pad = loaded.tokenizer.pad_token_id or 0
    extra = torch.full((size, new_tokens), pad, dtype=torch.long, device=loaded.device)
    if loaded.model.config.is_encoder_decoder:
        inputs["decoder_input_ids"] = extra
        return inputs
    inputs["input_ids"] = torch.cat([inputs["input_ids"], extra], dim=1)
    inputs["attention_mask"] = torch.cat([inputs["attention_mask"], torch.ones_like(extra)], dim=1)
    return inputs
