"""Tiny transformers models built from configs, saved to a directory, for offline tests.

Nothing is downloaded: the tokenizer is a byte-level BPE trained here on a few sentences written
for these tests, the weights are random (seeded). Each builder returns the directory the model was
saved into, ready to load through the ``hf`` backend by path. Sizes: hidden 32, 2 layers, 4 heads.
"""

from __future__ import annotations

from pathlib import Path

import torch

#: Sentences written for these tests (no third-party text): the tokenizer's training corpus.
CORPUS = [
    "the green bench measures energy and quality of small models",
    "a red kite flies over the quiet harbour at dawn",
    "question: how many joules does one query cost? answer: it depends on the batch",
    "select name from planets where moons > 2 order by name",
    "summarize: the meeting moved to thursday because the lab was closed",
    "positive negative neutral entailment contradiction",
    "a photo of a cat sitting on a blue chair next to a window",
    "the answer is 42 . the end .",
    "0 1 2 3 4 5 6 7 8 9 + - * / = ( ) [ ] { } < > : ; , . ! ?",
]

#: A minimal chat template for image-text-to-text processors (content is a list of parts).
MULTIMODAL_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>{% else %}{{ c['text'] }}{% endif %}{% endfor %}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|> {% endif %}"
)

#: A minimal chat template (role tags, then the assistant turn opener).
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)

HIDDEN = 32
LAYERS = 2
HEADS = 4
IMAGE_SIZE = 32
LABELS = ["cat", "dog", "kite", "bench", "harbour"]


def make_tokenizer(*, chat_template: bool = True):
    """A byte-level BPE fast tokenizer (vocab ~400) with ``<pad>``, ``<s>``, ``</s>``, ``<unk>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", "<s>", "</s>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    if chat_template:
        fast.chat_template = CHAT_TEMPLATE
    return fast


def llama_config(tok):
    """A 2-layer Llama config (hidden 32, 4 heads, 2 kv heads, untied) for tokenizer ``tok``."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tok),
        hidden_size=HIDDEN,
        intermediate_size=2 * HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )


def build_causal(path: Path, *, seed: int = 0, chat_template: bool = True) -> Path:
    """A 2-layer Llama (hidden 32, 4 heads, 2 kv heads) + the tiny tokenizer, saved to ``path``."""
    from transformers import LlamaForCausalLM

    tok = make_tokenizer(chat_template=chat_template)
    config = llama_config(tok)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def build_seq2seq(path: Path, *, seed: int = 0) -> Path:
    """A 2+2-layer T5 (d_model 32, d_kv 8, d_ff 64) with the tiny tokenizer, saved to ``path``."""
    from transformers import T5Config, T5ForConditionalGeneration

    tok = make_tokenizer(chat_template=False)
    config = T5Config(
        vocab_size=len(tok),
        d_model=HIDDEN,
        d_kv=HIDDEN // HEADS,
        d_ff=2 * HIDDEN,
        num_layers=LAYERS,
        num_decoder_layers=LAYERS,
        num_heads=HEADS,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.pad_token_id,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _vit_config(**extra):
    from transformers import ViTConfig

    return ViTConfig(
        image_size=IMAGE_SIZE,
        patch_size=8,
        num_channels=3,
        hidden_size=HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        intermediate_size=2 * HIDDEN,
        **extra,
    )


def _image_processor():
    from transformers import ViTImageProcessor

    return ViTImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})


def build_vision2text(path: Path, *, seed: int = 0) -> Path:
    """A ViT encoder + 2-layer GPT-2 decoder (cross-attention), image processor and tokenizer."""
    from transformers import (
        GPT2Config,
        GPT2LMHeadModel,
        VisionEncoderDecoderModel,
        ViTModel,
    )

    tok = make_tokenizer(chat_template=False)
    torch.manual_seed(seed)
    decoder_config = GPT2Config(
        vocab_size=len(tok),
        n_embd=HIDDEN,
        n_layer=LAYERS,
        n_head=HEADS,
        n_positions=128,
        add_cross_attention=True,
        is_decoder=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model = VisionEncoderDecoderModel(
        encoder=ViTModel(_vit_config()),
        decoder=GPT2LMHeadModel(decoder_config),
    )
    model.config.decoder_start_token_id = tok.bos_token_id
    model.config.pad_token_id = tok.pad_token_id
    model.config.eos_token_id = tok.eos_token_id
    model.generation_config.decoder_start_token_id = tok.bos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(path)
    tok.save_pretrained(path)
    _image_processor().save_pretrained(path)
    return path


def build_image_text_to_text(path: Path, *, seed: int = 0) -> Path:
    """A LLaVA: CLIP vision tower (2 layers) + projector + 2-layer Llama, with a LlavaProcessor
    (16 image tokens per image) and a chat template; loads through ``AutoProcessor``."""
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    tok = make_tokenizer(chat_template=False)
    tok.add_special_tokens({"additional_special_tokens": ["<image>"]})
    text = llama_config(tok)
    vision = CLIPVisionConfig(
        image_size=IMAGE_SIZE,
        patch_size=8,
        hidden_size=HIDDEN,
        intermediate_size=2 * HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        projection_dim=HIDDEN,
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_id=tok.convert_tokens_to_ids("<image>"),
        vision_feature_layer=-1,
    )
    torch.manual_seed(seed)
    LlavaForConditionalGeneration(config).save_pretrained(path)
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": IMAGE_SIZE},
            crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        ),
        tokenizer=tok,
        patch_size=8,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=MULTIMODAL_TEMPLATE,
        image_token="<image>",
    )
    processor.save_pretrained(path)
    return path


def build_classifier(path: Path, *, seed: int = 0) -> Path:
    """A 2-layer ViT image classifier over :data:`LABELS` with its image processor."""
    from transformers import ViTForImageClassification

    config = _vit_config(
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
    )
    torch.manual_seed(seed)
    model = ViTForImageClassification(config)
    model.save_pretrained(path)
    _image_processor().save_pretrained(path)
    return path


def images(n: int, *, seed: int = 0) -> list:
    """``n`` random RGB PIL images of 40x30 pixels (not the model's size: the processor resizes)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    return [
        Image.fromarray(rng.integers(0, 256, size=(30, 40, 3), dtype=np.uint8), "RGB")
        for _ in range(n)
    ]
