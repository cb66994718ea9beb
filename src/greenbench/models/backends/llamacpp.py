"""GGUF models run by llama.cpp through llama-cpp-python, at a chosen quantization level.

``spec.source`` is a zoo name (``zoo:smollm2-135m-instruct``), a ``.gguf`` file, or a directory
of ``.gguf`` files (one per level, the level in the file name, e.g. ``model-Q8_0.gguf``).
``variant.quantization`` picks the level: ``none`` runs the file as it is; ``gguf:<LEVEL>``
(``Q4_K_M``, ``Q8_0``, ``F16``, …) runs the file of that level, or, when the source has only
another level, a copy made by ``llama_model_quantize`` into the zoo cache. Such a copy is
labelled "requantized from <source level>": its weights cannot be more precise than the source
(a Q4_1 model made F16 is Q4_1 values stored in 16 bits), but it runs llama.cpp's kernels for
that level, which is what an energy comparison of levels measures.

Generation is greedy, with the GGUF's own chat template (rendered by llama-cpp-python's
``Jinja2ChatFormatter``, as ``create_chat_completion`` renders it) when ``spec.chat_template`` is
set, else plain completion. Up to ``variant.batch_size`` prompts are decoded together in one
llama.cpp context (:mod:`.llamacpp_batch`); outputs equal one-at-a-time ``create_completion``
output. All layers go to one GPU (``cuda:N`` -> GPU N) when
:func:`greenbench.models.resolve_device` picks CUDA (a visible GPU, llama.cpp built with GPU
offload); threads = the CPU cores this process may use.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.models import zoo
from greenbench.models.backends import llamacpp_batch
from greenbench.models.base import Backend, Generation, LogLikelihood, ParamCounts
from greenbench.models.device import DeviceChoice, resolve_device
from greenbench.models.spec import ModelSpec, Variant

#: Context window per sequence (tokens): a prompt plus its generated tokens must fit.
N_CTX = 4096
#: Context of the ``Llama`` object itself, which holds the weights, tokenizer and metadata but
#: generates nothing (each ``generate`` call makes its own multi-sequence context): llama.cpp's
#: smallest (it rounds a context up to a multiple of 256 tokens), so its KV cache costs little.
LLAMA_OWN_CTX = 256
#: Sequences decoded together for ``batch_size: auto`` (each holds a KV cache of its prompt
#: plus ``max_new_tokens``; 32 keeps a 1B-parameter model's within a few GB).
AUTO_BATCH = 32
#: Levels llama.cpp makes from another GGUF without an importance matrix (the IQ* levels and
#: ternary types need one, so they must come as files).
REQUANTIZABLE = (
    "F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_1", "Q5_0",
    "Q4_K_M", "Q4_K_S", "Q4_1", "Q4_0", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K",
)  # fmt: skip


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _llama_cpp() -> Any:
    try:
        import llama_cpp
    except ModuleNotFoundError as exc:
        raise GreenbenchError(
            "the llamacpp backend needs llama-cpp-python: pip install 'greenbench[llamacpp]' "
            "(it compiles llama.cpp; see docs/zoo.md for portable CMAKE_ARGS)"
        ) from exc
    return llama_cpp


def _ftypes(llama_cpp: Any) -> dict[str, int]:
    """GGUF level name (``Q4_K_M``, ``F16``, ``F32``) -> llama.cpp file-type number."""
    levels = {}
    for attr in dir(llama_cpp):
        match = re.fullmatch(r"LLAMA_FTYPE_(?:MOSTLY|ALL)_(\w+)", attr)
        if match:
            levels[match.group(1)] = int(getattr(llama_cpp, attr))
    return levels


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Collect what llama.cpp logs: native writes to file descriptor 2, and the messages
    llama-cpp-python's log callback prints to ``sys.stderr``."""
    lines: list[str] = []
    python_side = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as sink, contextlib.redirect_stderr(python_side):
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())
            lines.extend(python_side.getvalue().splitlines())


def _load(llama_cpp: Any, path: Path, **options: Any) -> Any:
    """``llama_cpp.Llama`` for ``path``, quiet; a load failure becomes a GreenbenchError that
    quotes llama.cpp's last log lines (the reason)."""
    failure: ValueError | None = None
    with _captured_stderr() as log:  # llama.cpp logs load notes even when not verbose
        try:
            return llama_cpp.Llama(model_path=str(path), verbose=False, **options)
        except ValueError as exc:  # llama-cpp-python's "Failed to load model from file"
            failure = exc
    reason = "; ".join(line.strip() for line in log[-3:]) or str(failure)
    raise GreenbenchError(f"llama.cpp could not load {path}: {reason}") from failure


class LlamaCppBackend(Backend):
    """A GGUF causal LM run by llama.cpp, prompts decoded in batches (see :meth:`generate`)."""

    kind = "llamacpp"

    def __init__(self, spec: ModelSpec, variant: Variant) -> None:
        super().__init__(spec, variant)
        llama_cpp = _llama_cpp()
        self._ftypes = _ftypes(llama_cpp)
        self._names = {number: name for name, number in self._ftypes.items()}
        want = self._requested_level(variant)
        self.device_choice = resolve_device(spec, variant)
        gpu_options = self._gpu_options(llama_cpp, self.device_choice)
        self.n_gpu_layers = gpu_options["n_gpu_layers"]
        source, self.license, notes = self._source(spec, want)
        self.source_level = self._file_level(llama_cpp, source)
        self.level = want or self.source_level
        self.quantization_log: str | None = None
        if self.level != self.source_level:
            source = self._requantized(llama_cpp, source)
            notes.append(f"requantized from {self.source_level} to {self.level} by llama.cpp")
        self.path = source
        self.note = "; ".join(notes) or None
        self.n_threads = available_cores()
        self.llm = _load(
            llama_cpp,
            source,
            n_ctx=LLAMA_OWN_CTX,
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads,
            **gpu_options,
            seed=0,
        )
        self._chat = self._chat_formatter(llama_cpp) if spec.chat_template else None
        wanted = AUTO_BATCH if variant.batch_size == "auto" else variant.batch_size
        # sequences decoded together: the variant's batch size, at most llama.cpp's LLAMA_MAX_SEQ
        self.batch_size = min(wanted, int(llama_cpp.llama_max_parallel_sequences()))

    def _chat_formatter(self, llama_cpp: Any) -> Any:
        """The GGUF's chat template as llama-cpp-python's ``Llama`` builds its formatter."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise GreenbenchError(
                f"model {self.spec.name!r}: {self.path.name} has no chat template; "
                "set chat_template: false to send prompts as plain completions"
            )
        vocab = llama_cpp.llama_model_get_vocab(self.llm.model)

        def text(token: int) -> str:
            return llama_cpp.llama_vocab_get_text(vocab, token).decode() if token != -1 else ""

        return Jinja2ChatFormatter(
            template=template,
            eos_token=text(self.llm.token_eos()),
            bos_token=text(self.llm.token_bos()),
        )

    def _requested_level(self, variant: Variant) -> str | None:
        if variant.quantization == "none":
            return None
        level = variant.quantization.removeprefix("gguf:").upper()
        if not variant.quantization.startswith("gguf:") or level not in self._ftypes:
            raise GreenbenchError(
                f"variant.quantization {variant.quantization!r} is not a llama.cpp level; use "
                f"none or gguf:<level> with level one of {', '.join(sorted(self._ftypes))}"
            )
        return level

    @staticmethod
    def _gpu_options(llama_cpp: Any, choice: DeviceChoice) -> dict[str, int]:
        """``Llama`` options for ``choice``: on ``cuda:N`` every layer on GPU ``N`` alone
        (``split_mode`` none, ``main_gpu`` N, numbered as ``CUDA_VISIBLE_DEVICES`` exposes them,
        as torch numbers them), so the job's energy is that one device's; on the CPU none."""
        if not choice.on_cuda:
            return {"n_gpu_layers": 0}
        return {
            "n_gpu_layers": -1,
            "split_mode": int(llama_cpp.LLAMA_SPLIT_MODE_NONE),
            "main_gpu": choice.index,
        }

    @staticmethod
    def _source(spec: ModelSpec, level: str | None) -> tuple[Path, str | None, list[str]]:
        """GGUF file to start from, its licence, and provenance notes."""
        if spec.source.startswith("zoo:") or spec.source in zoo.names():
            resolved = zoo.resolve(spec.source, "llamacpp")
            return Path(resolved.path), resolved.license, [resolved.note] if resolved.note else []
        path = Path(spec.source).expanduser()
        if path.is_file() and path.suffix == ".gguf":
            return path, None, []
        if path.is_dir():
            files = sorted(path.glob("*.gguf"))
            wanted = [f for f in files if level and level.lower() in f.name.lower()]
            if len(wanted) == 1 or (level is None and len(files) == 1):
                return (wanted or files)[0], None, []
            raise GreenbenchError(
                f"model {spec.name!r}: source {spec.source!r} has no single .gguf file for "
                f"level {level or '(none given)'}; files: {', '.join(f.name for f in files)}"
            )
        raise GreenbenchError(
            f"model {spec.name!r}: source {spec.source!r} is not a .gguf file, a directory of "
            f"them, or a zoo name ({', '.join('zoo:' + n for n in zoo.names())})"
        )

    def _file_level(self, llama_cpp: Any, path: Path) -> str:
        """Level of the GGUF at ``path`` from its ``general.file_type`` metadata."""
        vocab = _load(llama_cpp, path, vocab_only=True)
        file_type = vocab.metadata.get("general.file_type")
        vocab.close()
        if file_type is None:
            raise GreenbenchError(f"{path}: GGUF metadata has no general.file_type")
        return self._names.get(int(file_type), f"ftype{file_type}")

    def _requantized(self, llama_cpp: Any, source: Path) -> Path:
        """``source`` converted to ``self.level`` by llama.cpp, cached beside the zoo."""
        if self.level not in REQUANTIZABLE:
            raise GreenbenchError(
                f"variant.quantization gguf:{self.level}: the source is {self.source_level} and "
                f"llama.cpp cannot make {self.level} from it here; supply a {self.level} file "
                f"or use one of {', '.join(REQUANTIZABLE)}"
            )
        # keyed by the source file's identity, so two sources with one file name never collide
        stat = source.stat()
        identity = f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()
        key = hashlib.sha256(identity).hexdigest()[:12]
        stem = source.name.removesuffix(".gguf")
        target = zoo.cache_dir() / "requantized" / f"{stem}-{key}.{self.level}.gguf"
        log = target.with_suffix(".log")
        if not target.is_file():
            with zoo.locked(target.parent):
                if not target.is_file():
                    params = llama_cpp.llama_model_quantize_default_params()
                    params.ftype = self._ftypes[self.level]
                    params.allow_requantize = True
                    params.nthread = available_cores()
                    partial = target.with_suffix(".partial")
                    with _captured_stderr() as lines:
                        status = llama_cpp.llama_model_quantize(
                            str(source).encode(), str(partial).encode(), ctypes.byref(params)
                        )
                    if status != 0:
                        partial.unlink(missing_ok=True)
                        raise GreenbenchError(
                            f"llama.cpp could not requantize {source.name} to {self.level}"
                        )
                    fallback = [line.strip() for line in lines if "fallback" in line]
                    log.write_text("\n".join(fallback[-1:]), encoding="utf-8")
                    os.replace(partial, target)
        # e.g. "180 of 272 tensor(s) required fallback quantization" (rows not divisible by
        # the level's block size are stored in a simpler type)
        self.quantization_log = (log.read_text(encoding="utf-8") or None) if log.exists() else None
        return target

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        stop: Sequence[str] = (),
        images: Sequence[Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[Generation]:
        """Greedy completions, up to ``self.batch_size`` prompts decoded together.

        Each prompt gets its own sequence in a KV cache emptied before it, so an answer depends
        neither on the other prompts of its batch nor on earlier calls (reusing a prefix cached
        for another prompt would evaluate this one in other chunks, which changes the
        floating-point sums and can flip a greedy choice). Token counts follow
        ``create_completion``'s ``usage``: ``generated_tokens`` counts the token that completed
        a stop string but not an end-of-generation token; at most ``max_new_tokens``, and no
        more than the context window (:data:`N_CTX`) leaves after the prompt.
        """
        if images is not None:
            raise GreenbenchError(f"model {self.spec.name!r} (llamacpp) takes no images")
        if not prompts:
            return []
        stops = list(stop)
        requests = []
        for prompt in prompts:
            tokens, template_stops = self._tokens(prompt)
            stops += [s for s in template_stops if s not in stops]
            budget = min(max_new_tokens, N_CTX - len(tokens))
            requests.append(llamacpp_batch.Request(tokens, budget))
        outputs = llamacpp_batch.generate(
            self.llm, requests, n_seq=self.batch_size, stop=stops, on_done=self.advance
        )
        return [
            Generation(text=text, prompt_tokens=len(request.tokens), generated_tokens=count)
            for request, (text, count) in zip(requests, outputs, strict=True)
        ]

    @property
    def chat_formatted(self) -> bool:
        return self._chat is not None

    def loglikelihood(
        self, requests: Sequence[tuple[str, str]], *, share_prefix: bool = True
    ) -> list[LogLikelihood]:
        """Continuation log-likelihoods (:mod:`.llamacpp_loglik`), ``self.batch_size`` rows
        evaluated together, split into tokens as lm-eval splits them (no BOS added;
        special-token text parsed); the context goes through the GGUF's chat template when
        ``spec.chat_template`` is set, as generation does.

        ``share_prefix``: evaluate a prefix shared by rows once and copy its KV cells (False:
        each row from its first token, for the benchmark)."""
        from greenbench.models.backends.llamacpp_loglik import score
        from greenbench.models.loglik import encode_pair

        def encode(text: str) -> list[int]:
            return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

        def context(prompt: str) -> str:
            if self._chat is None:
                return prompt
            return self._chat(messages=[{"role": "user", "content": prompt}]).prompt

        prefix = self.llm.token_eos()
        encoded = [encode_pair(encode, context(c), x, prefix) for c, x in requests]
        return score(
            self.llm, encoded, window=N_CTX, n_seq=self.batch_size, share_prefix=share_prefix
        )

    def _tokens(self, prompt: str) -> tuple[list[int], list[str]]:
        """Token ids of ``prompt`` as the model sees it (in the chat template, if used; special
        tokens parsed; BOS where the GGUF asks for one), and the stop strings the template adds
        (its end-of-sequence text), as ``create_chat_completion`` / ``create_completion`` do."""
        text, add_bos, stops = prompt, True, []
        if self._chat is not None:
            rendered = self._chat(messages=[{"role": "user", "content": prompt}])
            text, add_bos, stops = rendered.prompt, not rendered.added_special, rendered.stop
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
        if not 0 < len(tokens) < N_CTX:
            raise GreenbenchError(
                f"model {self.spec.name!r}: a prompt of {len(tokens)} tokens does not fit "
                f"the context window (1 to {N_CTX - 1} tokens)"
            )
        return tokens, list(stops)

    def params(self) -> ParamCounts:
        """Parameters of the loaded model as llama.cpp counts them (llama_model_n_params)."""
        import llama_cpp

        return ParamCounts(total=int(llama_cpp.llama_model_n_params(self.llm.model)), trainable=0)

    def describe(self) -> dict[str, Any]:
        import llama_cpp

        info: dict[str, Any] = {
            "backend": self.kind,
            "engine": f"llama-cpp-python {llama_cpp.__version__}",
            "device": self.device_choice.device,
            "device_reason": self.device_choice.reason,
            "n_gpu_layers": self.n_gpu_layers,
            "n_threads": self.n_threads,
            "gguf_file": str(self.path),
            "gguf_level": self.level,
            "source_level": self.source_level,
            "chat_template": bool(self.spec.chat_template),
            "batch_size": self.batch_size,
            "note": self.note,
            "license": self.license or self.llm.metadata.get("general.license"),
        }
        if self.quantization_log:
            info["quantization_note"] = self.quantization_log
        return info

    def close(self) -> None:
        """Free the native model now rather than in a finalizer at interpreter exit:
        ``Llama.close`` frees its batch (``llama_batch_free``), its context (``llama_free``)
        and the model (``llama_model_free``). :meth:`generate` frees its own context and batch
        before it returns. A second call does nothing."""
        if self.llm is not None:
            self.llm.close()
            self.llm = None
