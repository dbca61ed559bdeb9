"""The local model in its own process (`memory.embedding_process`): the same vectors as the model
loaded in this process (single texts on ONNX Runtime, exported once and cached), a child that dies is replaced, a bad request fails alone, the child ends
with its parent, and the parent never imports torch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from memory.embedding_process import EmbeddingProcess, EmbeddingProcessError
from memory.embeddings import LOCAL_BATCH_SIZE, LocalMiniLMEmbedder

TEXTS = [
    "I have a cat",
    "my kitten is called Mochi",
    "quarterly tax filing",
    "hola guapa, ¿qué tal el finde?",
    "long message " * 300,  # past the model's 256 tokens: truncated the same way
]


@pytest.fixture(scope="module")
def child() -> EmbeddingProcess:
    proc = EmbeddingProcess()
    proc.warm_up()
    yield proc  # type: ignore[misc]
    proc.close()


def test_single_texts_and_batches_match_the_in_process_model(child: EmbeddingProcess) -> None:
    here = LocalMiniLMEmbedder(in_process=True)
    for text in TEXTS:
        (mine,) = child.encode([text], batch_size=LOCAL_BATCH_SIZE)
        (reference,) = here.embed_sync([text])
        # A single text goes through the compiled graph: float rounding apart, the same vector.
        assert np.abs(np.array(mine) - np.array(reference)).max() < 1e-5, text
        assert abs(float(np.linalg.norm(mine)) - 1.0) < 1e-5
    batch = [f"{text} ({i})" for i, text in enumerate(TEXTS[:4] * 17)] + TEXTS[4:]
    got = np.array(child.encode(batch, batch_size=LOCAL_BATCH_SIZE))  # two requests, padded batches
    want = np.array(here.embed_sync(batch))
    assert got.shape == (69, 384)
    assert np.abs(got - want).max() < 1e-5


def test_single_texts_run_on_onnx_runtime_exported_once_and_a_damaged_export_is_made_again(
    tmp_path: pytest.TempPathFactory,
) -> None:
    env = {"FANPILOT_VAR_DIR": str(tmp_path)}
    first = EmbeddingProcess(env=env)
    try:
        (vector,) = first.encode([TEXTS[0]], batch_size=LOCAL_BATCH_SIZE)
        assert first.single_text_engine == "onnxruntime"
    finally:
        first.close()
    (exported,) = (tmp_path / "models").glob("minilm-*.onnx")  # type: ignore[operator]
    exported.write_bytes(b"not a model")  # a damaged cache file
    second = EmbeddingProcess(env=env)
    try:
        (again,) = second.encode([TEXTS[0]], batch_size=LOCAL_BATCH_SIZE)
        assert second.single_text_engine == "onnxruntime"
    finally:
        second.close()
    assert exported.stat().st_size > 1_000_000  # exported again, in place
    assert np.abs(np.array(vector) - np.array(again)).max() < 1e-6


def test_a_child_that_died_is_replaced_and_the_request_answered(child: EmbeddingProcess) -> None:
    before = child.pid
    assert before is not None
    os.kill(before, signal.SIGKILL)
    (vector,) = child.encode(["still here?"], batch_size=LOCAL_BATCH_SIZE)
    assert len(vector) == 384
    assert child.pid is not None and child.pid != before


def test_a_bad_request_fails_alone_and_the_child_keeps_serving(child: EmbeddingProcess) -> None:
    pid = child.pid
    with pytest.raises(EmbeddingProcessError, match="ValueError"):
        child.encode(["a", "b", "c", "d", "e"], batch_size=0)  # the library refuses a batch size of 0
    assert child.pid == pid
    assert len(child.encode(["fine"], batch_size=LOCAL_BATCH_SIZE)[0]) == 384
    assert child.encode([], batch_size=LOCAL_BATCH_SIZE) == []


def test_the_parent_never_imports_torch() -> None:
    script = textwrap.dedent(
        """
        import sys
        from memory.embeddings import LocalMiniLMEmbedder
        (vector,) = LocalMiniLMEmbedder().embed_sync(["no torch in here"])
        print(len(vector), "torch" in sys.modules, "sentence_transformers" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    assert out == ["384", "False", "False"]


def test_the_child_ends_when_its_parent_closes_the_pipe(child: EmbeddingProcess) -> None:
    handle = child._proc
    assert handle is not None and handle.stdin is not None
    handle.stdin.close()  # what the parent's exit (or death) does to the pipe
    assert handle.wait(timeout=120) == 0  # it ended by itself, not killed
    child.close()
    assert child.pid is None


def test_every_single_text_engine_agrees_with_the_library(tmp_path: pytest.TempPathFactory) -> None:
    # The fallbacks too: the TorchScript trace serves where ONNX Runtime cannot.
    import torch

    from memory.embedding_process import OnnxSingleText, SingleText
    from memory.embeddings import _load_local_model

    model = _load_local_model()
    threads = torch.get_num_threads()

    def library(texts: list[str]) -> np.ndarray:
        return model.encode(texts, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)

    try:
        for engine in (OnnxSingleText(model, str(tmp_path)), SingleText(model)):
            assert engine.agrees(library), engine.engine
            for text in TEXTS:
                assert np.abs(engine.encode(text) - library([text])).max() < 1e-5, (engine.engine, text)
    finally:
        torch.set_num_threads(threads)
