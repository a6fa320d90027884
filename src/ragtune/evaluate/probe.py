"""Serving figures of a variant: single-question latency and time to first token, peak memory, model size."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ragtune.runtime import Runtime


class PeakMemory:
    """Samples the process's resident memory in a thread while in use; ``peak_mb`` is the highest seen."""

    def __init__(self, every_s: float = 0.05) -> None:
        import psutil

        self._process = psutil.Process()
        self._every = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.peak_mb = self._rss()

    def _rss(self) -> float:
        return self._process.memory_info().rss / 2**20

    def _watch(self) -> None:
        while not self._stop.wait(self._every):
            self.peak_mb = max(self.peak_mb, self._rss())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = round(max(self.peak_mb, self._rss()), 1)


def latency(runtime: Runtime, variant: str, questions: list[str]) -> dict[str, Any]:
    """Answer each question alone, streamed, as a server would: latency percentiles, time to first token and
    decoding speed (retrieval included for variants that retrieve)."""
    from ragtune.answer import ask

    totals, firsts, speeds = [], [], []
    for question in questions:
        answer = ask(runtime, question, variant, on_token=lambda _piece: None)
        totals.append(answer.retrieval_s + answer.generation_s)
        if answer.first_token_s is not None:
            firsts.append(answer.retrieval_s + answer.first_token_s)
            decode = answer.generation_s - answer.first_token_s
            if decode > 0 and answer.completion_tokens > 1:
                speeds.append((answer.completion_tokens - 1) / decode)

    def pct(values: list[float], q: float) -> float | None:
        return round(float(np.percentile(values, q)), 4) if values else None

    return {"latency_p50_s": pct(totals, 50), "latency_p95_s": pct(totals, 95), "ttft_p50_s": pct(firsts, 50),
            "decode_tokens_per_s": round(float(np.median(speeds)), 2) if speeds else None, "probes": len(totals)}


def weights_mb(generator: Any) -> float | None:
    """Size of a local generator's weights in memory (None for an endpoint)."""
    model = getattr(generator, "model", None)
    if model is None or not hasattr(model, "parameters"):
        return None
    return round(sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20, 1)
