"""Fine-tuning image classifiers: a linear probe of the head, or the whole network, on both
backends that serve them (hf: a tiny ViT built here; torch: the zoo's EfficientNet-Lite0)."""

from __future__ import annotations

import numpy as np
import pytest
import tiny
import torch
from PIL import Image

from greenbench.data import imagenet_labels
from greenbench.errors import GreenbenchError
from greenbench.models import FineTune, ModelSpec, Variant, check_variant, load_backend
from greenbench.models.classifier_labels import label_ids

EFFICIENTNET = ModelSpec(
    name="efficientnet-lite0",
    source="zoo:efficientnet-lite0",
    kind="torch",
    architecture="image-classifier",
)


def _coloured(colour: tuple[int, int, int], n: int, seed: int) -> list[Image.Image]:
    """``n`` 40x30 images of one colour with a little seeded noise."""
    rng = np.random.default_rng(seed)
    base = np.array(colour, dtype=np.int16)
    return [
        Image.fromarray(
            np.clip(base + rng.integers(-20, 21, size=(30, 40, 3)), 0, 255).astype(np.uint8)
        )
        for _ in range(n)
    ]


def _separable(n: int = 8) -> list[tuple[Image.Image, str]]:
    """Red images labelled ``cat``, blue ones ``dog`` (two of the tiny ViT's labels)."""
    return [(im, "cat") for im in _coloured((220, 30, 30), n, 1)] + [
        (im, "dog") for im in _coloured((30, 30, 220), n, 2)
    ]


def _vit(path, config: FineTune):
    spec = ModelSpec(name="tiny-vit", source=str(path), architecture="image-classifier")
    return load_backend(spec, Variant(finetune=config, batch_size=4))


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_head_probe_trains_only_the_head_and_learns_a_separable_set(classifier_dir, tmp_path):
    config = FineTune(method="head", steps=40, batch_size=8, learning_rate=0.05)
    backend = _vit(classifier_dir, config)
    before = _snapshot(backend.model)
    result = backend.finetune(_separable(), config, output_dir=str(tmp_path / "out"))

    after = _snapshot(backend.model)
    changed = sorted(name for name in before if not torch.equal(before[name], after[name]))
    assert changed == ["classifier.bias", "classifier.weight"]
    head = tiny.HIDDEN * len(tiny.LABELS) + len(tiny.LABELS)
    assert result.trainable_params == backend.params().trainable == head
    assert result.loss_last < result.loss_first / 2
    assert (result.steps, result.train_samples, result.tokens) == (40, 16, None)
    saved = torch.load(tmp_path / "out" / "trained_params.pt", weights_only=True)
    assert sorted(saved) == ["classifier.bias", "classifier.weight"]
    # the backend now serves the probed model: fresh images of each colour get their class
    red, blue = _coloured((220, 30, 30), 3, 7), _coloured((30, 30, 220), 3, 8)
    top1 = [row[0] for row in backend.classify(red + blue, top_k=1)]
    assert top1 == ["cat"] * 3 + ["dog"] * 3
    assert not any(p.requires_grad for p in backend.model.parameters())


def test_full_fine_tune_trains_every_parameter(classifier_dir):
    config = FineTune(method="full", steps=2, batch_size=4, learning_rate=1e-3)
    backend = _vit(classifier_dir, config)
    before = _snapshot(backend.model)
    result = backend.finetune(_separable(2), config)
    after = _snapshot(backend.model)
    assert result.trainable_params == sum(p.numel() for p in backend.model.parameters())
    assert not torch.equal(before["vit.embeddings.patch_embeddings.projection.weight"],
                           after["vit.embeddings.patch_embeddings.projection.weight"])  # fmt: skip
    assert not backend.model.training


def test_a_class_the_model_lacks_fails_naming_it(classifier_dir):
    config = FineTune(method="head", steps=1)
    backend = _vit(classifier_dir, config)
    images = _coloured((0, 0, 0), 1, 0)
    with pytest.raises(GreenbenchError, match=r"class 'zebra' is not among the model's 5 labels"):
        backend.finetune([(images[0], "zebra")], config)


def test_class_names_match_a_whole_label_or_one_of_its_synonyms():
    labels = imagenet_labels()
    assert label_ids(["tabby", "Tabby Cat", "tabby, tabby cat", "espresso"], labels, "x") == [
        281,
        281,
        281,
        967,
    ]
    with pytest.raises(GreenbenchError, match=r"^dir: class 'bench' is not among"):
        label_ids(["bench"], labels, "dir")


@pytest.mark.parametrize(
    ("spec", "variant", "message"),
    [
        (EFFICIENTNET, Variant(finetune=FineTune(method="lora")), r"use 'head'.*or 'full'"),
        (
            ModelSpec(name="lm", source="zoo:smollm2-135m-instruct"),
            Variant(finetune=FineTune(method="head")),
            r"method 'head' trains an image classifier's head",
        ),
        (
            EFFICIENTNET,
            Variant(finetune=FineTune(method="head"), quantization="int8-dynamic", device="cpu"),
            r"unquantized weights",
        ),
        (
            EFFICIENTNET.model_copy(update={"kind": "onnx"}),
            Variant(finetune=FineTune(method="head")),
            r"backend 'hf' or 'torch', not 'onnx'",
        ),
    ],
)
def test_methods_that_make_no_sense_for_the_model_are_refused_before_loading(
    spec, variant, message
):
    with pytest.raises(GreenbenchError, match=message):
        check_variant(spec, variant)


def test_an_image_folder_with_a_class_the_model_lacks_is_refused_before_loading(tmp_path):
    for name in ("tabby", "volcano", "my-own-class"):
        (tmp_path / name).mkdir()
    variant = Variant(finetune=FineTune(method="head", data=str(tmp_path)))
    with pytest.raises(GreenbenchError, match=r"class 'my-own-class' is not among"):
        check_variant(EFFICIENTNET, variant)
    (tmp_path / "my-own-class").rmdir()
    check_variant(EFFICIENTNET, variant)  # every class is an ImageNet label


@pytest.mark.slow
def test_torch_backend_head_probe_changes_the_fc_layer_only():
    import skimage.data

    config = FineTune(method="head", steps=6, batch_size=4, learning_rate=1e-2)
    backend = load_backend(EFFICIENTNET, Variant(finetune=config, batch_size=4))
    before = _snapshot(backend.model)
    photos = [Image.fromarray(skimage.data.chelsea()), Image.fromarray(skimage.data.coffee())]
    pairs = [(photos[0], "tabby"), (photos[1], "espresso")] * 2
    result = backend.finetune(pairs, config)
    after = _snapshot(backend.model)
    changed = sorted(name for name in before if not torch.equal(before[name], after[name]))
    assert changed == ["_fc.bias", "_fc.weight"]
    assert result.trainable_params == backend.params().trainable == 1280 * 1000 + 1000
    assert result.loss_last <= result.loss_first
    assert backend.classify(photos[:1], top_k=1)[0][0] == "tabby, tabby cat"
