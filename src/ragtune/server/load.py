"""A bounded load generator for a running server: N concurrent clients asking for D seconds.

Used by the load test and ``bench/serve_load.py``. Each client loops over the questions and models, sending
non-streamed chat completions, and records the latency and status of every request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class LoadReport:
    """What the clients saw: one (model, status, seconds) per request, and the first error bodies."""

    clients: int
    seconds: float
    results: list[tuple[str, int, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> int:
        """Requests answered with 200 and a well-formed completion."""
        return sum(1 for _, status, _ in self.results if status == 200)

    def latency(self, q: float, model: str | None = None) -> float | None:
        """A latency percentile (seconds) of the successful requests, of one model or all."""
        values = [s for m, status, s in self.results if status == 200 and (model is None or m == model)]
        return float(np.percentile(values, q)) if values else None

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: counts, throughput and latency percentiles, overall and per model."""
        models = sorted({m for m, _, _ in self.results})
        return {
            "clients": self.clients, "seconds": round(self.seconds, 1), "requests": len(self.results),
            "ok": self.ok, "errors": len(self.results) - self.ok,
            "requests_per_s": round(self.ok / self.seconds, 2) if self.seconds else None,
            "p50_s": _round(self.latency(50)), "p95_s": _round(self.latency(95)),
            "models": {m: {"p50_s": _round(self.latency(50, m)), "p95_s": _round(self.latency(95, m))}
                       for m in models},
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def run_load(base_url: str, models: list[str], questions: list[str], clients: int = 16, seconds: float = 30.0,
             max_tokens: int = 16, api_key: str | None = None, timeout: float = 300.0) -> LoadReport:
    """Run ``clients`` threads for ``seconds`` against ``base_url``; requests in flight at the end complete."""
    import httpx

    report = LoadReport(clients, 0.0)
    lock = threading.Lock()
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as http:
            turn = number
            while time.monotonic() < stop_at:
                model, question = models[turn % len(models)], questions[turn % len(questions)]
                turn += 1
                started = time.perf_counter()
                try:
                    response = http.post("/v1/chat/completions", json={
                        "model": model, "max_tokens": max_tokens,
                        "messages": [{"role": "user", "content": question}]})
                    status = response.status_code
                    if status == 200 and not response.json()["choices"][0]["message"]["content"].strip():
                        status = -1  # a 200 without an answer counts as an error
                    body = response.text[:300]
                except httpx.HTTPError as exc:
                    status, body = 0, f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - started
                with lock:
                    report.results.append((model, status, elapsed))
                    if status != 200 and len(report.errors) < 5:
                        report.errors.append(f"{model}: {status} {body}")

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.seconds = time.monotonic() - started
    return report
