"""Loading a transformers model for the ``hf`` backend: source, device, dtype, quantization.

:func:`load` turns a (spec, variant) pair into a :class:`Loaded` bundle: the model in eval mode
with gradients off, its tokenizer and/or processor, the device, and a note for the record
(e.g. "weights dequantized from Q4_K_M"). Quantization:

- ``int8-dynamic``: :func:`torch.ao.quantization.quantize_dynamic` on every ``nn.Linear`` but the
  output head (weights int8, activations quantized per batch at run time); CPU only, from fp32.
  It breaks small causal LMs with activation outliers (SmolLM2: see ``docs/models.md``).
- ``int8-weight-only``: int8 weights with a scale per output channel, fp32 activations, every
  ``nn.Linear`` but the output head (:mod:`.int8_weight_only`); CPU only, from fp32.
- ``bnb-8bit`` / ``bnb-4bit-nf4``: transformers' ``BitsAndBytesConfig`` (LLM.int8 / NF4 with
  bf16 compute and double quantization); CUDA only.
- ``gguf:<level>``: transformers' GGUF loader (``gguf_file=``), which dequantizes the weights to
  the variant's dtype; the note says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from greenbench.errors import GreenbenchError
from greenbench.models.device import resolve_device
from greenbench.models.spec import ModelSpec, Variant

TORCH_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


#: What transformers imports lazily on a model's first load (~2 s on a 2-core CPU), imported
#: before the load window (:meth:`greenbench.models.Backend.import_engine`).
ENGINE_MODULES = (
    "transformers.modeling_utils",
    "transformers.core_model_loading",
    "transformers.generation.utils",
    "transformers.models.auto.modeling_auto",
    "transformers.models.auto.tokenization_auto",
    "transformers.tokenization_utils_tokenizers",
    "transformers.models.llama.modeling_llama",
    "safetensors.torch",
)


@dataclass
class Source:
    """Where the weights come from, after resolving ``zoo:`` names and GGUF levels."""

    path: str
    """Hub id or local directory given to ``from_pretrained``."""
    gguf_file: str | None = None
    """GGUF file name inside ``path`` (transformers' ``gguf_file=``), or None."""
    note: str | None = None
    """Provenance note for the record (e.g. dequantized weights)."""
    license: str | None = None


@dataclass
class Loaded:
    """A model ready to run, with what is needed to feed it."""

    model: Any
    """The ``PreTrainedModel`` (or a dynamic-quantized copy), eval mode, gradients off."""
    tokenizer: Any | None
    """Tokenizer for text in/out (None for image classifiers)."""
    processor: Any | None
    """Image processor (vision-encoder-decoder, classifiers) or multimodal processor."""
    device: torch.device
    dtype: torch.dtype
    """Dtype of floating inputs (pixels): the variant's dtype."""
    source: Source
    multimodal: bool = False
    """True when ``processor`` is a joint text+image processor (image-text-to-text models)."""


def resolve_source(spec: ModelSpec, variant: Variant) -> Source:
    """Resolve ``zoo:`` names (through :mod:`greenbench.models.zoo`) and ``.gguf`` sources."""
    if spec.source.startswith("zoo:"):
        from greenbench.models import zoo

        resolved = zoo.resolve(spec.source[4:], "hf")
        source = Source(path=resolved.path, note=resolved.note, license=resolved.license)
    else:
        source = Source(
            path=str(Path(spec.source).expanduser()) if _is_local(spec.source) else spec.source
        )
    path = Path(source.path)
    if path.suffix == ".gguf":
        source.path, source.gguf_file = str(path.parent), path.name
    elif variant.quantization.startswith("gguf:"):
        source.gguf_file = find_gguf(source.path, variant.quantization[5:])
    if source.gguf_file and not source.note:
        level = variant.quantization[5:] if variant.quantization.startswith("gguf:") else "GGUF"
        source.note = f"weights dequantized from {level} ({source.gguf_file})"
    return source


def _is_local(source: str) -> bool:
    return source.startswith(("/", ".", "~")) or Path(source).expanduser().exists()


def find_gguf(path: str, level: str) -> str:
    """The ``.gguf`` file in directory (or hub repo) ``path`` whose name contains ``level``."""
    local = Path(path).expanduser()
    if local.is_dir():
        names = [p.name for p in local.glob("*.gguf")]
    else:
        from huggingface_hub import list_repo_files

        try:
            names = [n for n in list_repo_files(path) if n.endswith(".gguf")]
        except Exception as exc:  # offline, unknown repo: one line naming the source
            raise GreenbenchError(
                f"variant.quantization 'gguf:{level}': cannot list GGUF files of {path!r} ({exc})"
            ) from exc
    matches = sorted(n for n in names if level.lower() in n.lower())
    if not matches:
        raise GreenbenchError(
            f"variant.quantization 'gguf:{level}': no .gguf file matching {level!r} in {path!r}"
            f" (found: {', '.join(sorted(names)) or 'none'})"
        )
    return matches[0]


def effective_quantization(variant: Variant) -> str:
    """The quantization the weights are loaded with: QLoRA forces ``bnb-4bit-nf4``."""
    if variant.finetune is not None and variant.finetune.method == "qlora":
        return "bnb-4bit-nf4"
    return variant.quantization


def quantization_config(variant: Variant) -> Any | None:
    """``BitsAndBytesConfig`` for the bnb quantizations (QLoRA forces NF4), else None."""
    quant = effective_quantization(variant)
    if not quant.startswith("bnb-"):
        return None
    from transformers import BitsAndBytesConfig

    if quant == "bnb-8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


def _model_class(architecture: str, model_type: str):
    import transformers as tf

    if architecture == "causal":
        return tf.AutoModelForCausalLM
    if architecture == "seq2seq":
        return tf.AutoModelForSeq2SeqLM
    if architecture == "image-classifier":
        return tf.AutoModelForImageClassification
    if model_type == "vision-encoder-decoder":
        return tf.VisionEncoderDecoderModel
    return tf.AutoModelForImageTextToText


def load(spec: ModelSpec, variant: Variant, *, defer_int8: bool = False) -> Loaded:
    """Load ``spec`` as ``variant`` describes; ``defer_int8`` leaves the CPU int8 quantizations
    to the caller (fine-tuning trains the fp32 weights first, then quantizes)."""
    import transformers as tf

    source = resolve_source(spec, variant)
    device = torch.device(resolve_device(spec, variant).device)
    common: dict[str, Any] = {"revision": spec.revision}
    if source.gguf_file:
        common["gguf_file"] = source.gguf_file
    try:
        config = tf.AutoConfig.from_pretrained(source.path, **common)
        model_cls = _model_class(spec.architecture, config.model_type)
        kwargs: dict[str, Any] = {"dtype": TORCH_DTYPES[variant.dtype], **common}
        quant = quantization_config(variant)
        if quant is not None:
            kwargs["quantization_config"] = quant
            kwargs["device_map"] = {"": device.index or 0}
        model = model_cls.from_pretrained(source.path, **kwargs)
        tokenizer, processor, multimodal = _load_preprocessing(
            tf, spec.architecture, config.model_type, source, common
        )
    except OSError as exc:  # not found locally / not in the hub cache offline / no access
        raise GreenbenchError(
            f"model {spec.name!r}: cannot load source {spec.source!r}: {_first_line(exc)}"
        ) from exc
    except ValueError as exc:  # wrong architecture for the checkpoint, unsupported GGUF, ...
        raise GreenbenchError(
            f"model {spec.name!r}: source {spec.source!r} does not load as architecture "
            f"{spec.architecture!r}: {_first_line(exc)}"
        ) from exc
    if quant is None:
        model.to(device)
    model.eval()
    model.requires_grad_(False)
    if not defer_int8:
        model = quantize_cpu_int8(model, variant.quantization)
    dtype = TORCH_DTYPES[variant.dtype]
    return Loaded(model, tokenizer, processor, device, dtype, source, multimodal)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load_preprocessing(tf, architecture: str, model_type: str, source: Source, common: dict):
    """(tokenizer, processor, multimodal) for the architecture."""
    if architecture == "image-classifier":
        return None, tf.AutoImageProcessor.from_pretrained(source.path, **_no_gguf(common)), False
    if architecture == "vision2text" and model_type == "vision-encoder-decoder":
        image_processor = tf.AutoImageProcessor.from_pretrained(source.path, **_no_gguf(common))
        return _tokenizer(tf, source, common, "left"), image_processor, False
    if architecture == "vision2text":
        processor = tf.AutoProcessor.from_pretrained(source.path, **_no_gguf(common))
        processor.tokenizer.padding_side = "left"
        return processor.tokenizer, processor, True
    # Decoder-only prompts pad on the left (generation appends on the right); encoders on the right.
    side = "right" if architecture == "seq2seq" else "left"
    return _tokenizer(tf, source, common, side), None, False


def _no_gguf(common: dict) -> dict:
    return {k: v for k, v in common.items() if k != "gguf_file"}


def _tokenizer(tf, source: Source, common: dict, padding_side: str):
    tokenizer = tf.AutoTokenizer.from_pretrained(source.path, **common)
    tokenizer.padding_side = padding_side
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def quantize_cpu_int8(model, quantization: str):
    """``model`` quantized as ``quantization`` says when it is a CPU int8 one (``CPU_INT8``),
    else ``model`` as it is."""
    if quantization == "int8-dynamic":
        return quantize_int8_dynamic(model)
    if quantization == "int8-weight-only":
        from greenbench.models.backends.int8_weight_only import quantize_int8_weight_only

        return quantize_int8_weight_only(model)
    return model


def quantize_int8_dynamic(model):
    """Dynamic int8 quantization (per-channel) of every ``nn.Linear`` but the output head (CPU).

    The LM head stays in full precision, as bitsandbytes does by default: it is usually tied to
    the input embeddings, and quantizing it unties them (adding a second copy of the vocabulary
    matrix) and costs most of the quality of a small model. Uses
    :func:`torch.ao.quantization.quantize_dynamic`, deprecated in favour of torchao but still the
    in-tree way that needs no extra package; its deprecation warning is silenced here.
    """
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    get_head = getattr(model, "get_output_embeddings", None)
    head = get_head() if callable(get_head) else None
    # Per-output-channel weight scales: per-tensor scales lose most of a small model's quality.
    linears = {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module is not head
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantiz.*", category=UserWarning)
        return quantize_dynamic(model, linears, dtype=torch.qint8)


def count_params(model) -> tuple[int, int]:
    """(total, trainable) parameters of ``model``, quantized weights counted unpacked.

    Dynamic-int8 and weight-only-int8 linears keep their weights outside ``parameters()``;
    bitsandbytes 4-bit parameters store two weights per byte (their ``quant_state.shape`` is the
    real shape).
    """
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    from greenbench.models.backends.int8_weight_only import int8_weight_count

    total = trainable = 0
    for param in model.parameters():
        quant_state = getattr(param, "quant_state", None)
        n = quant_state.shape.numel() if quant_state is not None else param.numel()
        total += n
        trainable += n if param.requires_grad else 0
    for module in model.modules():
        if isinstance(module, DynamicLinear):
            weight, bias = module._packed_params._weight_bias()
            total += weight.numel() + (bias.numel() if bias is not None else 0)
    return total + int8_weight_count(model), trainable
