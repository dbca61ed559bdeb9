"""The local model in its own process (`memory.embedding_process`): the same vectors as the model
loaded in this process, a child that dies is replaced, a bad request fails alone, the child ends
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
