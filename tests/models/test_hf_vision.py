"""hf backend: vision-encoder-decoder captioning and image classification (tiny ViT models)."""

from __future__ import annotations

import pytest
import tiny

from greenbench.errors import GreenbenchError
from greenbench.models import ModelSpec, Variant, load_backend


@pytest.fixture(scope="module")
def captioner(vision2text_dir):
    spec = ModelSpec(name="tiny-ved", source=str(vision2text_dir), architecture="vision2text")
    return load_backend(spec, Variant(batch_size=2))


def test_captioner_generates_one_caption_per_image(captioner):
    images = tiny.images(3)
    out = captioner.generate(["", "", ""], images=images, max_new_tokens=5)
    assert len(out) == 3
    assert all(0 < g.generated_tokens <= 5 and g.prompt_tokens == 0 for g in out)
    one_by_one = [captioner.generate([""], images=[im], max_new_tokens=5)[0] for im in images]
    assert out == one_by_one


def test_captioner_needs_one_image_per_prompt(captioner):
    with pytest.raises(GreenbenchError, match="one image per prompt"):
        captioner.generate(["a", "b"], images=tiny.images(1))


def test_image_text_to_text_answers_with_the_processor_chat_template(llava_dir):
    spec = ModelSpec(name="tiny-llava", source=str(llava_dir), architecture="vision2text")
    backend = load_backend(spec, Variant(batch_size=2))
    questions = ["what is on the chair?", "how many kites?", "colour?"]
    images = tiny.images(3, seed=2)
    out = backend.generate(questions, images=images, max_new_tokens=4)
    one_by_one = [
        backend.generate([q], images=[im], max_new_tokens=4)[0]
        for q, im in zip(questions, images, strict=True)
    ]
    assert out == one_by_one
    assert all(g.generated_tokens == 4 for g in out)
    # prompt tokens as the model saw them: the templated text with the image slot expanded
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(llava_dir)
    for question, image, g in zip(questions, images, out, strict=True):
        message = {
            "role": "user",
            "content": [{"type": "image"}, {"type": "text", "text": question}],
        }
        text = processor.apply_chat_template([message], add_generation_prompt=True, tokenize=False)
        assert text.startswith("<|user|> <image>") and text.endswith("<|assistant|> ")
        expanded = processor(text=[text], images=[image])["input_ids"][0]
        assert g.prompt_tokens == len(expanded)
        assert g.prompt_tokens > len(processor.tokenizer(text)["input_ids"])


def test_classifier_returns_label_names_best_first(classifier_dir):
    spec = ModelSpec(name="tiny-vit", source=str(classifier_dir), architecture="image-classifier")
    backend = load_backend(spec, Variant(batch_size=2))
    images = tiny.images(5, seed=1)
    labels = backend.classify(images, top_k=3)
    assert len(labels) == 5
    assert all(len(row) == 3 and set(row) <= set(tiny.LABELS) for row in labels)
    assert all(len(set(row)) == 3 for row in labels)
    # top-1 agrees with an unbatched pass over the same images
    assert [row[0] for row in labels] == [backend.classify([im], top_k=1)[0][0] for im in images]
    assert backend.params().total == sum(p.numel() for p in backend.model.parameters())


def test_classifier_top_k_is_capped_by_the_label_count(classifier_dir):
    spec = ModelSpec(name="tiny-vit", source=str(classifier_dir), architecture="image-classifier")
    labels = load_backend(spec, Variant()).classify(tiny.images(1), top_k=50)
    assert sorted(labels[0]) == sorted(tiny.LABELS)


def test_text_model_cannot_classify(causal_dir):
    backend = load_backend(ModelSpec(name="c", source=str(causal_dir)), Variant())
    with pytest.raises(GreenbenchError, match="not an image classifier"):
        backend.classify(tiny.images(1))
