"""Task tests run offline, with greenbench's cache (the built SQL database) and the datasets
cache in temp dirs; the environment is restored when the package's tests end, so other tests
see their own."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="package", autouse=True)
def _offline_cache(tmp_path_factory):
    saved = {
        k: os.environ.get(k)
        for k in ("GREENBENCH_CACHE_DIR", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    }
    os.environ["GREENBENCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("greenbench-cache"))
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    import datasets

    saved_cache = datasets.config.HF_DATASETS_CACHE
    datasets.config.HF_DATASETS_CACHE = tmp_path_factory.mktemp("hf-datasets-cache")
    yield
    datasets.config.HF_DATASETS_CACHE = saved_cache
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
