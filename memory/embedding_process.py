"""The local embedding model in a child process of its own.

Why a process and not a thread: a sentence-transformers forward pass is a few hundred small torch
calls, and each one takes the GIL back from whatever else the process runs. Inside the API or the
worker that is the event loop: measured on this 2-core box, a reply run's query embedding (13 ms
alone) took 35 ms when it overlapped the run's own database work in a thread, and the run's
database work slowed by as much (docs/bench.md, "the embedding's own process"). In a child process
the model computes on the other core while the event loop serves, and the parent never imports torch.

One child per parent process, started on first use (or by `warm_up`), answering one request at a
time over its stdin/stdout: a request is a 4-byte length and a JSON body (texts, batch size); an
answer is a 4-byte length and the float32 vectors (or a JSON error). The child exits when its stdin
closes, so it never outlives its parent. A child that died is started again on the next request,
which is retried once.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import IO, Any

import numpy as np

DIMENSIONS = 384
_HEADER = struct.Struct("!I")
# An answer's first byte: vectors follow, or an error message.
_OK, _ERROR = b"v", b"e"
# Requests of at most this many texts compute on one thread: a query then leaves the other core to
# the event loop and Postgres (one thread: 18 ms, two: 13 ms alone, but both cores busy). Batches
# use every core, as they did in-process.
SMALL_REQUEST = 4
# Texts per request: a large batch goes as several, so a query waits for one of them at most.
CHUNK = 64
STARTUP_TIMEOUT_SECONDS = 180.0


class EmbeddingProcessError(RuntimeError):
    """The embedding child failed (it could not start, or it answered with an error)."""


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) != n:
        raise EOFError("the embedding process closed its output")
    return data


def _read_frame(stream: IO[bytes]) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(stream, _HEADER.size))
    return _read_exact(stream, size)


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


class EmbeddingProcess:
    """A handle on the child; thread-safe (one request at a time)."""

    def __init__(self, *, env: Mapping[str, str] | None = None) -> None:
        # `env`: variables set for the child on top of this process's (a test's own var dir).
        self._env = dict(env or {})
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        # What computes a single text in the running child: onnxruntime, torchscript or library.
        self.single_text_engine: str | None = None

    def encode(self, texts: Sequence[str], *, batch_size: int) -> list[list[float]]:
        if not texts:
            return []
        vectors: list[list[float]] = []
        for start in range(0, len(texts), CHUNK):
            vectors.extend(self._request(list(texts[start : start + CHUNK]), batch_size))
        return vectors

    def warm_up(self) -> None:
        """Start the child (and load the model) now rather than on the first request."""
        with self._lock:
            self._running()

    def _request(self, texts: list[str], batch_size: int) -> list[list[float]]:
        body = json.dumps({"texts": texts, "batch_size": batch_size}).encode()
        with self._lock:
            for attempt in (1, 2):
                proc = self._running()
                try:
                    assert proc.stdin is not None and proc.stdout is not None
                    _write_frame(proc.stdin, body)
                    answer = _read_frame(proc.stdout)
                    break
                except (BrokenPipeError, EOFError, OSError):
                    # Died (killed, out of memory): start a new one and ask again, once.
                    self._stop(proc)
                    if attempt == 2:
                        raise EmbeddingProcessError("the embedding process died twice in a row") from None
        if answer[:1] == _ERROR:
            raise EmbeddingProcessError(answer[1:].decode(errors="replace"))
        array = np.frombuffer(answer[1:], dtype=np.float32).reshape(len(texts), DIMENSIONS)
        return [[float(x) for x in row] for row in array]

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        proc = subprocess.Popen(
            [sys.executable, "-m", "memory.embedding_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"), **self._env},
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        assert proc.stdout is not None
        # The child says it is ready once the model is loaded (or why it could not load it).
        timer = threading.Timer(STARTUP_TIMEOUT_SECONDS, proc.kill)
        timer.start()
        try:
            hello = _read_frame(proc.stdout)
        except EOFError:
            proc.wait()
            raise EmbeddingProcessError(
                f"the embedding process exited while starting (exit code {proc.returncode})"
            ) from None
        finally:
            timer.cancel()
        if hello[:1] == _ERROR:
            self._stop(proc)
            raise EmbeddingProcessError(hello[1:].decode(errors="replace"))
        self.single_text_engine = hello[1:].decode(errors="replace") or "library"
        self._proc = proc
        return proc

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._proc is proc:
            self._proc = None

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                self._stop(self._proc)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None


_shared: EmbeddingProcess | None = None
_shared_lock = threading.Lock()


def shared_process() -> EmbeddingProcess:
    """This process's embedding child (one per parent process)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = EmbeddingProcess()
            atexit.register(_shared.close)
        return _shared


def _forget_after_fork() -> None:
    # A forked process must start its own child: the pipes belong to the parent.
    global _shared
    _shared = None


os.register_at_fork(after_in_child=_forget_after_fork)


# --- the child -------------------------------------------------------------------------------------


# A single text's vector from the compiled graph may differ from sentence-transformers' by float
# rounding; more than this at start-up and the child does without it.
SINGLE_TEXT_TOLERANCE = 1e-5
_PROBES = ("hi", "how was your day? i went hiking with my dog at the lake", "long message " * 200)
# Bumped when the exported graph's shape changes: an older cached file is then exported again.
_ONNX_FORMAT = "1"


def _features(tokenize: Any, text: str) -> tuple[Any, Any, Any]:
    features = tokenize([text])
    return features["input_ids"], features["attention_mask"], features["token_type_ids"]


def _bert_module(model: Any) -> Any:
    """The transformer as a module of three positional tensors returning the last hidden state:
    the signature both the tracer and the ONNX exporter record."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                return_dict=False,
            )
            return out[0]

    return LastHiddenState(model[0].auto_model.eval()).eval()


class SingleText:
    """One text's embedding through a frozen TorchScript trace of the model: the same computation
    as sentence-transformers' (tokenise, BERT, mean pooling, normalise) with the Python dispatch of
    a few hundred modules compiled away, about a third less CPU per query on this machine. A single
    text has no padding, the only case the trace was recorded for; batches take the library's path.
    """

    engine = "torchscript"

    def __init__(self, model: Any) -> None:
        import torch

        self._torch = torch
        self._tokenize = getattr(model, "preprocess", None) or model.tokenize
        inputs = _features(self._tokenize, "hello there")
        # The tracer warns that the attention-mask branches are recorded as constants: they are the
        # no-padding branches, right for every single text (and `agrees` checks it).
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(_bert_module(model), inputs, strict=False, check_trace=False)
        self._graph = torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))

    def encode(self, text: str) -> Any:
        torch = self._torch
        with torch.inference_mode():
            hidden = self._graph(*_features(self._tokenize, text))
            return torch.nn.functional.normalize(hidden.mean(dim=1), dim=-1).numpy()

    def agrees(self, reference: Any) -> bool:
        return _agrees(self.encode, reference)


def _agrees(encode: Any, reference: Any) -> bool:
    return all(
        float(np.abs(encode(text) - reference([text])).max()) <= SINGLE_TEXT_TOLERANCE for text in _PROBES
    )


class OnnxSingleText:
    """One text's embedding on ONNX Runtime, one thread: the model exported once from the
    installed weights (cached under `var/models/`, keyed by the weights file and the library
    versions), with ORT's fused attention and layer-norm kernels. About half the CPU of the
    TorchScript trace for a query on this machine (6.4 vs 13.6 ms for 15 tokens), the same vector
    to 1e-7. Needs `onnxruntime` (and `onnx` to export); without them the trace serves."""

    engine = "onnxruntime"

    def __init__(self, model: Any, cache_dir: str) -> None:
        import onnxruntime as ort

        self._tokenize = getattr(model, "preprocess", None) or model.tokenize
        path = _exported_model(model, cache_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception:  # noqa: BLE001 - ORT raises its own (unexported) error types
            # A damaged cache file (a crash mid-write cannot leave one, a full disk might): once more.
            with contextlib.suppress(FileNotFoundError):  # another child may have replaced it already
                os.unlink(path)
            path = _exported_model(model, cache_dir)
            self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def encode(self, text: str) -> Any:
        ids, mask, types = _features(self._tokenize, text)
        (hidden,) = self._session.run(
            None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()}
        )
        pooled = hidden.mean(axis=1)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def agrees(self, reference: Any) -> bool:
        return _agrees(self.encode, reference)


def _exported_model(model: Any, cache_dir: str) -> str:
    """The model as an ONNX file: the cached export, or a new one (written atomically)."""
    import hashlib

    import onnxruntime
    import torch
    import transformers

    weights = [
        os.path.join(root, name)
        for root, _, names in os.walk(str(model[0].auto_model.name_or_path))
        for name in sorted(names)
        if name.endswith((".safetensors", ".bin", "config.json"))
    ]
    key = hashlib.sha256()
    for part in (_ONNX_FORMAT, torch.__version__, transformers.__version__, onnxruntime.__version__):
        key.update(part.encode() + b"\0")
    for name in sorted(weights):
        stat = os.stat(name)
        key.update(f"{os.path.basename(name)}:{stat.st_size}:{stat.st_mtime_ns}".encode() + b"\0")
    path = os.path.join(cache_dir, f"minilm-{key.hexdigest()[:16]}.onnx")
    if os.path.exists(path):
        return path
    os.makedirs(cache_dir, exist_ok=True)
    inputs = _features(getattr(model, "preprocess", None) or model.tokenize, "hello there")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    partial = f"{path}.{os.getpid()}.partial"
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _bert_module(model),
            inputs,
            partial,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    os.replace(partial, path)
    return path


def _cache_dir() -> str:
    from core.settings import get_settings

    return str((get_settings().var_dir / "models").resolve())


def _single_text_engine(model: Any, reference: Any, cache_dir: str) -> OnnxSingleText | SingleText | None:
    """The fastest single-text path that gives the library's vectors: ONNX Runtime, else the
    TorchScript trace, else none (the library serves every request)."""
    for make in (lambda: OnnxSingleText(model, cache_dir), lambda: SingleText(model)):
        try:
            engine = make()
            if engine.agrees(reference):
                return engine
        except Exception:  # noqa: BLE001 - the next engine (or the library) serves
            continue
    return None


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    try:
        import torch

        from memory.embeddings import _load_local_model

        model = _load_local_model()
        cores = torch.get_num_threads()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        _write_frame(answers, _ERROR + f"could not load the local embedding model: {exc}".encode())
        return

    def library(texts: list[str], batch_size: int = 1) -> Any:
        return model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )

    torch.set_num_threads(1)
    single = _single_text_engine(model, library, _cache_dir())
    # The hello names the single-text engine (tests and `fanpilot doctor`-style checks read it).
    _write_frame(answers, _OK + (single.engine if single is not None else "library").encode())
    while True:
        try:
            request: dict[str, Any] = json.loads(_read_frame(requests))
        except EOFError:
            return  # the parent closed its end, or died
        try:
            texts = [str(t) for t in request["texts"]]
            torch.set_num_threads(1 if len(texts) <= SMALL_REQUEST else cores)
            if single is not None and len(texts) == 1:
                vectors = single.encode(texts[0])
            else:
                vectors = library(texts, int(request["batch_size"]))
            _write_frame(answers, _OK + np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
        except Exception as exc:  # noqa: BLE001 - one bad request does not end the child
            _write_frame(answers, _ERROR + f"{type(exc).__name__}: {exc}".encode())


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the parent handles it, and the child
    # ends when the parent's end of the pipe closes (no traceback of its own).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)
    # Nothing is left to flush (every answer was): skip tearing down torch, which can take seconds.
    os._exit(0)


if __name__ == "__main__":
    main()
