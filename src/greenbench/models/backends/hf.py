"""The ``hf`` backend: any transformers model (hub id, local directory, GGUF file, zoo name).

Architectures (``spec.architecture``): ``causal`` and ``seq2seq`` language models, ``vision2text``
(vision-encoder-decoder captioners, and image-text-to-text models such as Qwen2-VL or LLaVA,
through their ``AutoProcessor``) and ``image-classifier``. Loading, dtype and quantization are
in :mod:`.hf_load`, the batched generation loop in :mod:`.hf_generate`, model inputs per
architecture in :mod:`.hf_inputs`, fine-tuning in :mod:`greenbench.models.finetune`.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections.abc import Sequence
from typing import Any

import torch

from greenbench.errors import GreenbenchError
from greenbench.models.backends import hf_classifier, hf_inputs, hf_loglik
from greenbench.models.backends.hf_generate import (
    CPU_AUTO_BATCH,
    CPU_PROBE_TOKENS,
    GPU_AUTO_BATCH_MAX,
    Request,
    fastest_batch_size,
    finish,
    probe_batch_size,
    run_batches,
)
from greenbench.models.backends.hf_load import (
    ENGINE_MODULES,
    count_params,
    effective_quantization,
    load,
    quantize_cpu_int8,
)
from greenbench.models.backends.hf_prefix import PrefixCache
from greenbench.models.base import (
    Backend,
    FineTuneResult,
    Generation,
    LogLikelihood,
    LogLikelihoodUnavailable,
    ParamCounts,
)
from greenbench.models.spec import CPU_INT8, QUANT_BITS, FineTune, ModelSpec, Variant


class HFBackend(Backend):
    """A transformers model, loaded on construction (the measured "load" phase).

    ``batch_size: auto`` probes on CUDA (doubling on the longest prompts with one prefill each,
    up to :data:`GPU_AUTO_BATCH_MAX`, keeping the largest that fits; an out-of-memory error later
    halves it). On CPU it times batches of the longest prompts (doubling from 1, at most
    :data:`CPU_AUTO_BATCH` or the number of prompts, :data:`CPU_PROBE_TOKENS` new tokens each) and
    keeps the one answering the most prompts per second. ``describe()["auto_batch_size"]`` says
    what was picked, per ``max_new_tokens``.
    """

    kind = "hf"
    engine_modules = ENGINE_MODULES

    def __init__(self, spec: ModelSpec, variant: Variant) -> None:
        super().__init__(spec, variant)
        # int8 weights cannot train: a fine-tuned variant quantizes after training.
        self._int8_pending = variant.quantization in CPU_INT8 and variant.finetune is not None
        self.loaded = load(spec, variant, defer_int8=self._int8_pending)
        self.model = self.loaded.model
        self._auto_batch: dict[int, int] = {}
        self._finetune: FineTuneResult | None = None
        if variant.finetune is not None and variant.finetune.method in ("lora", "qlora"):
            from greenbench.models.finetune import lora_targets

            lora_targets(self.model, variant.finetune)  # absent target modules fail here, early

    # -- facts -----------------------------------------------------------------------------------

    def params(self) -> ParamCounts:
        """Total parameters of the model as served; trainable = what fine-tuning trained (else 0).

        A LoRA adapter merged after training no longer exists as separate parameters, so the
        trainable count is the one taken from the model (``requires_grad``) during training.
        """
        total, trainable = count_params(self.model)
        if self._finetune is not None:
            trainable = self._finetune.trainable_params
        return ParamCounts(total=total, trainable=trainable)

    def describe(self) -> dict[str, Any]:
        """Device, dtype, quantization as loaded (QLoRA: bnb-4bit-nf4), bits, source and note.

        For GGUF sources ``bits`` is the file's level while computation runs in ``dtype``: the
        note says the weights were dequantized.
        """
        source = self.loaded.source
        quant = effective_quantization(self.variant)
        facts: dict[str, Any] = {
            "backend": self.kind,
            "device": str(self.loaded.device),
            "dtype": self.variant.dtype,
            "quantization": quant,
            "bits": QUANT_BITS.get(quant, self.variant.bits),
            "source": source.path,
            "note": source.note,
        }
        if source.gguf_file:
            facts["gguf_file"] = source.gguf_file
        if source.license:
            facts["license"] = source.license
        if self._auto_batch:
            facts["auto_batch_size"] = dict(self._auto_batch)
        if self._finetune is not None:
            facts["finetune"] = {
                "adapter_path": self._finetune.adapter_path,
                "merged": self._finetune.extra.get("merged"),
            }
        return facts

    # -- generation ------------------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        stop: Sequence[str] = (),
        images: Sequence[Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[Generation]:
        """Greedy completions, batched longest-first, returned in input order (see module doc)."""
        architecture = self.spec.architecture
        if architecture == "image-classifier":
            return super().generate(prompts, max_new_tokens=max_new_tokens, stop=stop)
        if architecture == "vision2text" and (images is None or len(images) != len(prompts)):
            raise GreenbenchError(
                f"model {self.spec.name!r} is vision2text: pass one image per prompt "
                f"(got {0 if images is None else len(images)} images for {len(prompts)} prompts)"
            )
        if not prompts:
            return []
        self._ready_for_inference()
        requests = self._requests(prompts, images)
        batch_size = self._batch_size(requests, max_new_tokens)
        gen_config = self._generation_config(max_new_tokens, stop)
        prefix = self._prefix_cache(requests)

        def generate_batch(batch: list[Request]) -> list[tuple[str, int, int]]:
            if prefix is not None:
                inputs = prefix.batch_inputs(batch, self.loaded.device)
            else:
                inputs = self._batch_inputs(batch)
            with torch.inference_mode():
                out = self.model.generate(
                    **inputs,
                    generation_config=gen_config,
                    tokenizer=self.loaded.tokenizer if stop else None,
                )
            return self._decode(batch, inputs, out, stop)

        return run_batches(
            requests,
            batch_size,
            generate_batch,
            back_off=self.variant.batch_size == "auto",
            on_done=self.advance,
        )

    def format_prompt(self, prompt: str) -> str:
        """The prompt as the model sees it: wrapped in the chat template when the tokenizer has
        one and ``spec.chat_template`` is true (used for generation and fine-tuning alike)."""
        if self._uses_chat_template:
            return self.loaded.tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
        return prompt

    @property
    def chat_formatted(self) -> bool:
        return self._uses_chat_template

    @property
    def _uses_chat_template(self) -> bool:
        return (
            self.spec.architecture == "causal"
            and self.spec.chat_template
            and bool(getattr(self.loaded.tokenizer, "chat_template", None))
        )

    @property
    def add_special_tokens(self) -> bool:
        """Whether tokenizing a formatted prompt adds special tokens (not after a chat template,
        which writes its own)."""
        return not self._uses_chat_template

    def _requests(self, prompts: Sequence[str], images: Sequence[Any] | None) -> list[Request]:
        if self.loaded.multimodal:
            texts = [
                hf_inputs.multimodal_text(self.loaded.processor, p, self.spec) for p in prompts
            ]
            lengths = [len(ids) for ids in self.loaded.tokenizer(texts)["input_ids"]]
            pairs = enumerate(zip(texts, lengths, strict=True))
            return [Request(i, t, n, image=images[i]) for i, (t, n) in pairs]
        if self.spec.architecture == "vision2text":  # vision-encoder-decoder: image only
            return [Request(i, "", 0, image=images[i]) for i in range(len(prompts))]
        texts = [self.format_prompt(p) for p in prompts]
        encoded = self.loaded.tokenizer(texts, add_special_tokens=self.add_special_tokens)
        return [
            Request(i, t, len(ids), ids=ids)
            for i, (t, ids) in enumerate(zip(texts, encoded["input_ids"], strict=True))
        ]

    def _prefix_cache(self, requests: list[Request]) -> PrefixCache | None:
        """The shared prompt prefix's cache, for a decoder-only text model whose prompts share
        one (see :mod:`~greenbench.models.backends.hf_prefix`); None otherwise."""
        if self.loaded.multimodal or self.model.config.is_encoder_decoder:
            return None
        if self.spec.architecture != "causal":
            return None
        return PrefixCache.build(self.model, requests, self.loaded.tokenizer.pad_token_id)

    def _batch_inputs(self, batch: list[Request]) -> dict[str, torch.Tensor]:
        return hf_inputs.batch_inputs(self.loaded, self.spec.architecture, batch)

    def _decode(self, batch, inputs, out, stop) -> list[tuple[str, int, int]]:
        tokenizer = self.loaded.tokenizer
        if self.model.config.is_encoder_decoder:
            new = out[:, 1:]  # drop the decoder start token
        else:
            new = out[:, inputs["input_ids"].shape[1] :]
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        prompt_tokens = hf_inputs.prompt_token_counts(self.loaded, batch, inputs)
        results = []
        for row, request_tokens in zip(new.tolist(), prompt_tokens, strict=True):
            text, count = finish(tokenizer, row, stop, eos_ids, tokenizer.pad_token_id)
            results.append((text, request_tokens, count))
        return results

    def _generation_config(self, max_new_tokens: int, stop: Sequence[str]):
        """Greedy decoding from the model's own config (EOS, decoder start), no sampling."""
        config = copy.deepcopy(self.model.generation_config)
        config.do_sample = False
        config.num_beams = 1
        config.temperature = config.top_p = config.top_k = None
        config.max_new_tokens = max_new_tokens
        config.max_length = None
        config.stop_strings = list(stop) or None
        if config.pad_token_id is None:
            config.pad_token_id = self.loaded.tokenizer.pad_token_id
        return config

    def _batch_size(self, requests: list[Request], max_new_tokens: int) -> int:
        if self.variant.batch_size != "auto":
            return self.variant.batch_size
        if max_new_tokens not in self._auto_batch:
            longest = sorted(requests, key=lambda r: -r.length)
            if self.loaded.device.type == "cuda":
                size = probe_batch_size(
                    lambda n: self._probe(longest, n, max_new_tokens), GPU_AUTO_BATCH_MAX
                )
            else:
                limit = min(CPU_AUTO_BATCH, len(requests))
                size = fastest_batch_size(lambda n: self._time_batch(longest[:n]), limit)
            self._auto_batch[max_new_tokens] = size
        return min(self._auto_batch[max_new_tokens], len(requests))

    def _time_batch(self, batch: list[Request]) -> float:
        """Wall time (s) of one greedy batch of :data:`CPU_PROBE_TOKENS` new tokens."""
        inputs = self._batch_inputs(batch)
        config = self._generation_config(CPU_PROBE_TOKENS, ())
        start = time.perf_counter()
        with torch.inference_mode():
            self.model.generate(**inputs, generation_config=config)
        return time.perf_counter() - start

    def _probe(self, longest: list[Request], size: int, max_new_tokens: int) -> None:
        """One forward pass over ``size`` copies-or-longest prompts extended by the tokens to come
        (a prefill at full length holds at least the KV cache generation would)."""
        batch = [longest[i % len(longest)] for i in range(size)]
        inputs = hf_inputs.probe_inputs(self.loaded, self.spec.architecture, batch, max_new_tokens)
        if "logits_to_keep" in inspect.signature(self.model.forward).parameters:
            inputs["logits_to_keep"] = 1
        with torch.inference_mode():
            self.model(**inputs, use_cache=True)
        torch.cuda.synchronize()

    # -- log-likelihood ---------------------------------------------------------------------------

    def loglikelihood(
        self, requests: Sequence[tuple[str, str]], *, shared: bool = True
    ) -> list[LogLikelihood]:
        """Continuation log-likelihoods (see :mod:`.hf_loglik`); the context goes through
        :meth:`format_prompt` (the chat template when the spec asks for one).

        ``shared``: pairs with identical inputs share one forward row (False: one row per pair,
        for the benchmark). ``batch_size: auto`` runs :data:`CPU_AUTO_BATCH` rows per pass on
        CPU, :data:`GPU_AUTO_BATCH_MAX` on CUDA.
        """
        if self.spec.architecture != "causal":
            raise LogLikelihoodUnavailable(
                f"model {self.spec.name!r} is {self.spec.architecture}: log-likelihood scoring "
                "needs a causal LM"
            )
        self._ready_for_inference()
        tokenizer = self.loaded.tokenizer
        formatted = [(self.format_prompt(ctx), cont) for ctx, cont in requests]
        encoded = hf_loglik.encode_requests(tokenizer, formatted)
        if self.variant.batch_size == "auto":
            cuda = self.loaded.device.type == "cuda"
            batch_size = GPU_AUTO_BATCH_MAX if cuda else CPU_AUTO_BATCH
        else:
            batch_size = self.variant.batch_size
        pad = tokenizer.pad_token_id
        return hf_loglik.score(
            self.model,
            encoded,
            batch_size=batch_size,
            window=hf_loglik.max_length(self.model, tokenizer),
            pad_id=pad if pad is not None else hf_loglik.prefix_token(tokenizer) or 0,
            device=self.loaded.device,
            shared=shared,
        )

    # -- classification --------------------------------------------------------------------------

    def classify(self, images: Sequence[Any], *, top_k: int = 5) -> list[list[str]]:
        """Top ``top_k`` label names (``config.id2label``) per PIL image, best first."""
        if self.spec.architecture != "image-classifier":
            return super().classify(images, top_k=top_k)
        self._ready_for_inference()
        return hf_classifier.classify(self, images, top_k)

    # -- fine-tuning -----------------------------------------------------------------------------

    def finetune(
        self,
        pairs: Sequence[tuple[str, str]],
        config: FineTune,
        output_dir: str | None = None,
    ) -> FineTuneResult:
        """Train on ``(prompt, completion)`` pairs (LoRA, QLoRA or full; see
        :mod:`greenbench.models.finetune`), or an image classifier on ``(image, class name)``
        pairs (head or full; :mod:`.hf_classifier`); afterwards this backend serves the trained
        model.

        ``output_dir``: where the adapter (or full weights) is saved; None saves nothing.
        Prompts are formatted exactly as :meth:`generate` formats them (chat template).
        """
        from greenbench.models.finetune import finetune

        if self.spec.architecture == "image-classifier":
            self._finetune = hf_classifier.finetune(self, pairs, config, output_dir)
            return self._finetune
        if self.spec.architecture not in ("causal", "seq2seq"):
            raise GreenbenchError(
                f"variant.finetune: model {self.spec.name!r} is {self.spec.architecture}; "
                "fine-tuning supports causal and seq2seq models and image classifiers"
            )
        formatted = [(self.format_prompt(p), c) for p, c in pairs]
        self.model, result = finetune(
            self.model,
            self.loaded.tokenizer,
            formatted,
            config,
            device=self.loaded.device,
            add_special_tokens=self.add_special_tokens,
            output_dir=output_dir,
            on_step=self.advance,
        )
        self._finetune = result
        return result

    def _ready_for_inference(self) -> None:
        """Apply the int8 quantization deferred for fine-tuning (after it, or now if it never
        ran)."""
        if self._int8_pending:
            self.model = quantize_cpu_int8(self.model, self.variant.quantization)
            self._int8_pending = False

    def close(self) -> None:
        self.model = None
        self.loaded.model = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
