"""Shared fixtures for the model tests: tiny models built once per session, offline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).parent))

import tiny  # importable as `tiny` by every test module here

PROMPTS = [
    "the green bench",
    "a red kite flies over the quiet harbour at dawn",
    "select",
    "question: how many joules does one query cost? answer:",
    "summarize: the meeting moved",
]


@pytest.fixture(scope="session")
def causal_dir(tmp_path_factory) -> Path:
    """A tiny Llama with a chat template (see tiny.build_causal)."""
    return tiny.build_causal(tmp_path_factory.mktemp("causal"))


@pytest.fixture(scope="session")
def seq2seq_dir(tmp_path_factory) -> Path:
    return tiny.build_seq2seq(tmp_path_factory.mktemp("seq2seq"))


@pytest.fixture(scope="session")
def vision2text_dir(tmp_path_factory) -> Path:
    return tiny.build_vision2text(tmp_path_factory.mktemp("vision2text"))


@pytest.fixture(scope="session")
def llava_dir(tmp_path_factory) -> Path:
    return tiny.build_image_text_to_text(tmp_path_factory.mktemp("llava"))


@pytest.fixture(scope="session")
def classifier_dir(tmp_path_factory) -> Path:
    return tiny.build_classifier(tmp_path_factory.mktemp("classifier"))


@pytest.fixture(scope="session")
def zoo_cache(tmp_path_factory) -> Path:
    """A session-wide GREENBENCH_CACHE_DIR, so zoo models are fetched once per test session."""
    cache = tmp_path_factory.mktemp("greenbench-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GREENBENCH_CACHE_DIR", str(cache))
        yield cache


@pytest.fixture()
def prompts() -> list[str]:
    return list(PROMPTS)
