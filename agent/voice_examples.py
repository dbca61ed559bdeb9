"""The creator's own replies to fan messages like this one: retrieved with the offline embedder.

Every reply the creator (or her team) sent after a fan message is a voice example; drafts a human
approved or edited count more. The fan messages they answered are embedded once per process (a small
cache keyed by text) and compared with the new message. Other fans' names are replaced by `{name}`
before an example reaches any model, so a draft can never carry another fan's name over.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from crm.runtime.service import VoiceExample

# A retrieved example must be at least this close to the fan's message to be adapted.
MIN_SIMILARITY = 0.3
_SOURCE_BONUS = {"edited": 0.06, "approved": 0.03, "sent": 0.0}
_CACHE_SIZE = 20_000
_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()  # float32 vectors


def _key(model: str, text: str) -> tuple[str, str]:
    return model, hashlib.sha1(text.encode()).hexdigest()


# One embedding batch at a time per event loop: concurrent runs (the worker drafts several fans of
# one creator at once) wait for the batch already under way instead of embedding the same
# candidates again, then find them cached.
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _missing(model: str, texts: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if _key(model, t) not in _cache))


async def _cache_all(embedder: Any, texts: Sequence[str]) -> str:
    """Embed the texts this process has not embedded yet; the cache's model key."""
    model = str(getattr(embedder, "model_name", "embedder"))
    if _missing(model, texts):
        lock = _locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            missing = _missing(model, texts)
            if missing:
                for text, vector in zip(missing, await embedder.embed(missing), strict=True):
                    _cache[_key(model, text)] = np.asarray(vector, dtype=np.float32)
                    if len(_cache) > _CACHE_SIZE:
                        _cache.popitem(last=False)
    return model


def _cached(model: str, text: str) -> np.ndarray:
    key = _key(model, text)
    _cache.move_to_end(key)
    return _cache[key]


async def embed_cached(embedder: Any, texts: Sequence[str]) -> list[list[float]]:
    """Vectors for texts, computing only the ones this process has not embedded yet."""
    model = await _cache_all(embedder, texts)
    return [_cached(model, text).tolist() for text in texts]


async def embed_cached_matrix(embedder: Any, texts: Sequence[str]) -> np.ndarray:
    """`embed_cached` as one float32 matrix (a row per text): what ranking hundreds of candidates
    needs, without building it from Python floats every run."""
    model = await _cache_all(embedder, texts)
    return np.stack([_cached(model, text) for text in texts]) if texts else np.zeros((0, 0), np.float32)


def _cosines(query: Sequence[float], vectors: Sequence[Sequence[float]] | np.ndarray) -> list[float]:
    q = np.asarray(query, dtype=np.float32)
    m = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1) * (float(np.linalg.norm(q)) or 1.0)
    return [float(x) for x in (m @ q) / np.where(norms == 0, 1.0, norms)]


def redact_name(text: str, name: str) -> str:
    """Another fan's first name (and full display name) in an example becomes `{name}`."""
    for part in sorted({name.strip(), name.split()[0] if name.split() else ""}, key=len, reverse=True):
        if len(part) >= 2:
            text = re.sub(rf"\b{re.escape(part)}\b", "{name}", text, flags=re.I)
    return text


async def retrieve(
    candidates: Sequence[VoiceExample],
    *,
    query: str,
    query_vector: Sequence[float] | None,
    embedder: Any,
    k: int = 5,
) -> list[dict[str, Any]]:
    """The k examples whose fan message is most like `query`, best first, as plain dicts."""
    usable = [c for c in candidates if c.fan_text.strip() and c.reply.strip()]
    if not usable or not query.strip():
        return []
    if query_vector is None:
        (query_vector,) = await embed_cached(embedder, [query])
    vectors = await embed_cached_matrix(embedder, [c.fan_text for c in usable])
    similarities = _cosines(query_vector, vectors)
    scored = sorted(
        (
            (sim + _SOURCE_BONUS.get(c.source, 0.0), n, c)
            for n, (c, sim) in enumerate(zip(usable, similarities, strict=True))
        ),
        key=lambda t: (-t[0], t[1]),
    )
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for score, _, c in scored:
        reply = redact_name(c.reply, c.fan_name)
        if reply in seen:
            continue
        seen.add(reply)
        out.append(
            {
                "id": str(c.message_id),
                "fan_text": redact_name(c.fan_text, c.fan_name),
                "reply": reply,
                "source": c.source,
                "similarity": round(score, 3),
                "price": str(c.price) if c.price is not None else None,
            }
        )
        if len(out) >= k:
            break
    return out
