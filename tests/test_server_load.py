"""A bounded load test on loopback: 16 concurrent clients for 20 s get answers, no errors, and the server lives."""

from __future__ import annotations

import httpx
import pytest
from conftest import SERVE_QUESTION, ingested_project

from ragtune.server.app import create_app
from ragtune.server.load import run_load
from ragtune.server.run import serve_in_thread as running

QUESTIONS = [SERVE_QUESTION, "Within how many days can unused goods be returned?", "When is support open?"]


@pytest.mark.slow
def test_sixteen_clients_for_twenty_seconds_get_no_errors(tmp_path):
    root = ingested_project(tmp_path / "load")
    with running(create_app(root)) as url:
        report = run_load(url, ["load:base", "load:rag"], QUESTIONS, clients=16, seconds=20, max_tokens=8)
        summary = report.summary()
        assert summary["errors"] == 0, report.errors
        assert summary["ok"] >= 16 and set(summary["models"]) == {"load:base", "load:rag"}
        assert 0 < summary["p50_s"] <= summary["p95_s"]
        assert httpx.get(f"{url}/health", timeout=30).json() == {"status": "ok"}
