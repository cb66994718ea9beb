"""ONNX backend: EfficientNet-Lite0 exported from torch matches torch; int8 copy; cached export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data

from greenbench.data import imagenet_labels
from greenbench.errors import GreenbenchError
from greenbench.models.backends.onnx import OnnxBackend
from greenbench.models.backends.torch_classifier import TorchClassifierBackend
from greenbench.models.spec import ModelSpec, Variant

pytestmark = pytest.mark.slow

CATS = set(imagenet_labels()[281:286])
SPEC = ModelSpec(
    name="efficientnet-lite0",
    source="zoo:efficientnet-lite0",
    kind="onnx",
    architecture="image-classifier",
)


@pytest.fixture(scope="module")
def images():
    return [skimage.data.chelsea(), skimage.data.coffee(), skimage.data.astronaut()]


@pytest.fixture(scope="module")
def fp32(zoo_cache):
    return OnnxBackend(SPEC, Variant(batch_size=2))


def test_export_matches_torch_within_tolerance(fp32, images):
    reference = TorchClassifierBackend(SPEC, Variant()).logits(images)
    exported = fp32.logits(images)  # two batches: 2 + 1 images through the dynamic batch axis
    assert exported.shape == (3, 1000)
    np.testing.assert_allclose(exported, reference, rtol=1e-3, atol=1e-3)
    assert fp32.classify(images, top_k=5) == TorchClassifierBackend(SPEC, Variant()).classify(
        images, top_k=5
    )


def test_export_is_cached_in_the_zoo_cache(fp32, zoo_cache):
    path = Path(fp32.describe()["onnx_file"])
    assert path.is_relative_to(zoo_cache) and path.suffix == ".onnx"
    stamp = path.stat().st_mtime_ns
    again = OnnxBackend(SPEC, Variant())
    assert again.path == path and path.stat().st_mtime_ns == stamp
    facts = fp32.describe()
    assert facts["providers"][-1] == "CPUExecutionProvider"  # CUDA first when present
    assert facts["opset"] >= 17


def test_params_count_the_initializers(fp32):
    total = fp32.params().total
    # BatchNorm folds into the convolutions at export: a little under torch's 4,652,008
    assert 4_500_000 < total < 4_652_008


def test_dynamic_int8_still_sees_the_cat(images, zoo_cache):
    backend = OnnxBackend(SPEC, Variant(quantization="int8-dynamic"))
    assert backend.path.name.endswith(".int8-dynamic.onnx")
    assert backend.classify(images[:1], top_k=5)[0][0] in CATS
    assert "ConvInteger" in backend.describe()["quantization_note"]


def test_variants_it_cannot_run_fail_early():
    with pytest.raises(GreenbenchError, match="the onnx backend runs fp32 exports"):
        OnnxBackend(SPEC, Variant(dtype="bf16"))
    with pytest.raises(GreenbenchError, match="'gguf:Q8_0' is not available on the onnx"):
        OnnxBackend(SPEC, Variant(quantization="gguf:Q8_0"))
