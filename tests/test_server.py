"""The OpenAI-compatible server: the real app under uvicorn on a loopback port, called with the official client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from conftest import SERVE_DOCS, assert_error, ingested_project
from conftest import SERVE_QUESTION as QUESTION

from ragtune import ConfigError, InputError, Project
from ragtune.server.app import create_app
from ragtune.server.auth import ServerKey, find_key, hash_key
from ragtune.server.run import GRACE_S, HEADER_TIMEOUT_S, check_bind, is_loopback
from ragtune.server.run import serve_in_thread as running

KEY = "s3cret-test-key"


@pytest.fixture(scope="module")
def project(pumps_project) -> Path:
    return pumps_project


@pytest.fixture(scope="module")
def app(project):
    return create_app(project, max_body_bytes=64 * 1024)


@pytest.fixture(scope="module")
def base_url(app):
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=120)


def post(url: str, body: bytes | str, **headers: str) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.post(url, content=content, headers={"content-type": "application/json", **headers}, timeout=60)


# ---------------------------------------------------------------------------------------------- models, embeddings


def test_models_lists_base_and_rag_until_models_are_trained(client, base_url):
    assert [m.id for m in client.models.list().data] == ["pumps:base", "pumps:few-shot", "pumps:rag"]
    assert client.models.retrieve("pumps:rag").id == "pumps:rag"
    assert httpx.get(f"{base_url}/health").json() == {"status": "ok"}


def test_embeddings_are_the_project_embedders_vectors(client, project):
    from ragtune.index.kb import KnowledgeBase

    texts = ["Zephyr Z9 warranty", "How do I return opened goods?"]
    expected = KnowledgeBase(Project.load(project)).embedder.embed_queries(texts)
    got = client.embeddings.create(model="pumps:rag", input=texts)  # the client asks for base64 by default
    assert [d.index for d in got.data] == [0, 1]
    vectors = np.array([d.embedding for d in got.data])
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    assert got.usage.prompt_tokens == got.usage.total_tokens > 4
    single = client.embeddings.create(model="pumps:base", input=texts[0], encoding_format="float")
    np.testing.assert_allclose(single.data[0].embedding, expected[0], atol=1e-6)


def test_unknown_model_is_404_naming_the_known_ones(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="pumps:ft", messages=[{"role": "user", "content": QUESTION}])
    assert caught.value.body["code"] == "model_not_found"
    assert "pumps:base" in caught.value.message and "pumps:rag" in caught.value.message
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-3-small", input="x")


# ---------------------------------------------------------------------------------------------- chat completions


def check_ragtune_field(extra: dict, variant: str) -> None:
    assert extra["variant"] == variant
    assert isinstance(extra["warnings"], list)
    if variant == "base":
        assert extra["sources"] == [] and extra["cited"] == []
        return
    sources = extra["sources"]
    assert [s["n"] for s in sources] == list(range(1, len(sources) + 1))
    assert {"n", "document", "section", "page", "chunk_id", "text"} <= set(sources[0])
    assert sources[0]["document"] == "products/zephyr-z9.md"
    assert "27 months" in sources[0]["text"]


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["base", "rag"])
def test_chat_completion(client, variant):
    response = client.chat.completions.create(
        model=f"pumps:{variant}", messages=[{"role": "user", "content": QUESTION}], max_tokens=16, temperature=0)
    choice = response.choices[0]
    assert response.object == "chat.completion" and response.model == f"pumps:{variant}"
    assert choice.message.role == "assistant" and choice.message.content.strip()
    assert choice.finish_reason == ("length" if response.usage.completion_tokens == 16 else "stop")
    assert 0 < response.usage.completion_tokens <= 16
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens
    extra = response.model_extra["ragtune"]
    check_ragtune_field(extra, variant)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", choice.message.content)}
    assert markers == set(extra["cited"]), (choice.message.content, extra["cited"])
    if variant == "rag":
        assert extra["cited"] or extra["abstained"], choice.message.content


@pytest.mark.slow
def test_max_tokens_and_stop_reach_the_model(client):
    cut = client.chat.completions.create(model="pumps:base", max_tokens=2, temperature=0,
                                         messages=[{"role": "user", "content": QUESTION}])
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 2
    full = client.chat.completions.create(model="pumps:base", max_tokens=24, temperature=0,
                                          messages=[{"role": "user", "content": QUESTION}]).choices[0].message.content
    word = full.split()[2]
    stopped = client.chat.completions.create(model="pumps:base", max_tokens=24, temperature=0, stop=[word],
                                             messages=[{"role": "user", "content": QUESTION}]).choices[0]
    assert stopped.finish_reason == "stop" and word not in stopped.message.content
    assert full.startswith(stopped.message.content.strip()[:5])


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["base", "rag"])
def test_streamed_chat_completion(client, variant):
    chunks = list(client.chat.completions.create(
        model=f"pumps:{variant}", messages=[{"role": "system", "content": "Be brief."},
                                            {"role": "user", "content": QUESTION}],
        max_tokens=16, temperature=0, stream=True, stream_options={"include_usage": True}))
    assert {c.object for c in chunks} == {"chat.completion.chunk"} and len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1, "not streamed in pieces"
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(final) == 1 and final[0].choices[0].finish_reason in ("stop", "length")
    extra = final[0].model_extra["ragtune"]
    check_ragtune_field(extra, variant)
    assert any("system messages" in w for w in extra["warnings"])
    assert set(extra["cited"]) == {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert chunks[-1].choices == [] and 0 < chunks[-1].usage.completion_tokens <= 16
    plain = client.chat.completions.create(
        model=f"pumps:{variant}", messages=[{"role": "user", "content": QUESTION}], max_tokens=16, temperature=0)
    assert text.strip() == plain.choices[0].message.content  # greedy: the same answer either way


@pytest.mark.slow
def test_a_client_that_goes_away_stops_generation(app, base_url):
    from ragtune.generate.models import generation_lock

    body = {"model": "pumps:base", "messages": [{"role": "user", "content": "Write a very long story about pumps."}],
            "max_tokens": 1000, "stream": True}
    with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=body, timeout=60) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")  # the role chunk
        assert json.loads(next(line for line in lines if line)[len("data: "):])["choices"][0]["delta"]["content"]
    limiter, deadline = app.state.limiter, time.monotonic() + 30
    while limiter.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert limiter.running == 0
    lock = generation_lock(app.state.service.runtime.generator.model)
    assert lock.acquire(timeout=5), "generation went on after the client left"  # 1000 tokens would take minutes
    lock.release()


@pytest.mark.slow
def test_retrieval_options_extension(client):
    response = client.chat.completions.create(
        model="pumps:rag", messages=[{"role": "user", "content": "Can I return goods?"}], max_tokens=4,
        extra_body={"ragtune": {"k": 1, "filters": {"source": "policies/*"}}})
    assert [s["document"] for s in response.model_extra["ragtune"]["sources"]] == ["policies/returns.md"]


# ---------------------------------------------------------------------------------------------- bad requests


def test_bad_requests_get_openai_style_errors_and_the_server_keeps_answering(base_url):
    chat, embed = f"{base_url}/v1/chat/completions", f"{base_url}/v1/embeddings"
    ok = {"model": "pumps:rag", "messages": [{"role": "user", "content": QUESTION}]}
    assert assert_error(post(chat, b'{"model": "pumps:rag", "messages": ['), 400)["code"] == "invalid_json"
    assert_error(post(chat, b""), 400)
    assert_error(post(chat, b"[]"), 400)
    assert_error(post(chat, json.dumps({**ok, "max_tokens": "16"})), 400, "max_tokens")
    assert_error(post(chat, json.dumps({**ok, "stream": "yes"})), 400, "stream")
    assert_error(post(chat, json.dumps({**ok, "messages": "hi"})), 400, "messages")
    assert_error(post(chat, json.dumps({**ok, "messages": [{"role": "user", "content": 5}]})), 400,
                 "messages[0].content")
    assert_error(post(chat, json.dumps({**ok, "temperature": -1})), 400, "temperature")
    assert_error(post(chat, json.dumps({**ok, "n": 2})), 400, "n")
    unknown = assert_error(post(chat, json.dumps({**ok, "top_p": 0.9})), 400, "top_p")
    assert "top_p" in unknown["message"]
    assert_error(post(chat, json.dumps({"model": "pumps:rag"})), 400, "messages")
    no_user = assert_error(post(chat, json.dumps({**ok, "messages": [{"role": "system", "content": "hi"}]})), 400)
    assert "user message" in no_user["message"]
    assert_error(post(chat, json.dumps({**ok, "ragtune": {"filters": {"colour": "red"}}})), 400, "ragtune.filters")
    assert_error(post(chat, json.dumps({**ok, "ragtune": {"k": 0}})), 400, "ragtune.k")
    assert_error(post(embed, json.dumps({"model": "pumps:rag", "input": [1, 2]})), 400)
    assert_error(post(embed, json.dumps({"model": "pumps:rag", "input": "x", "dimensions": 12})), 400, "dimensions")
    too_big = assert_error(post(embed, json.dumps({"model": "pumps:rag", "input": "word " * 20_000})), 413)
    assert too_big["code"] == "request_too_large"
    assert_error(httpx.get(f"{base_url}/v1/nothing"), 404)
    assert_error(httpx.get(chat), 405)
    response = post(embed, json.dumps({"model": "pumps:rag", "input": "still here", "encoding_format": "float"}))
    assert response.status_code == 200 and len(response.json()["data"][0]["embedding"]) == 384


def test_oversized_body_through_the_client(client):
    with pytest.raises(openai.APIStatusError) as caught:
        client.embeddings.create(model="pumps:rag", input=["word " * 20_000])
    assert caught.value.status_code == 413
    assert client.models.list().data


# ---------------------------------------------------------------------------------------------- auth, binding


def test_api_key_guards_v1_but_not_health(project):
    owner = ServerKey("owner", hash_key(KEY))
    assert find_key(KEY, [owner]) is owner and find_key("other", [owner]) is None
    with running(create_app(project, api_key_hash=hash_key(KEY))) as url:
        assert httpx.get(f"{url}/health").status_code == 200
        missing = assert_error(httpx.get(f"{url}/v1/models"), 401)
        assert missing["type"] == "authentication_error"
        assert_error(post(f"{url}/v1/chat/completions", b"{not json"), 401)  # auth before anything else
        assert_error(httpx.get(f"{url}/v1/models", headers={"Authorization": "Basic " + KEY}), 401)
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).models.list()
        good = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
        assert [m.id for m in good.models.list().data] == ["pumps:base", "pumps:few-shot", "pumps:rag"]
        assert httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_non_loopback_bind_needs_a_key(monkeypatch, project, capsys):
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert is_loopback(host)
        check_bind(host, has_key=False)
    for host in ("0.0.0.0", "::", "192.168.1.20", "example.org"):
        assert not is_loopback(host)
        with pytest.raises(ConfigError, match="--api-key"):
            check_bind(host, has_key=False)
        check_bind(host, has_key=True)
        check_bind(host, has_key=False, allow_no_key=True)
    monkeypatch.delenv("RAGTUNE_API_KEY", raising=False)
    from ragtune.cli import main

    assert main(["serve", str(project), "--host", "0.0.0.0", "--port", "1"]) == 2  # refused before binding
    assert "--allow-no-key" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- back-pressure


def test_full_queue_answers_503_and_waiting_requests_complete(project):
    app = create_app(project, max_concurrency=1, max_queue=1)
    body = json.dumps({"model": "pumps:rag", "input": "queued"})
    with running(app) as url:
        limiter, loop = app.state.limiter, app.state.loop
        asyncio.run_coroutine_threadsafe(limiter.acquire(), loop).result(10)  # the only slot is busy
        waiting: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: waiting.append(post(f"{url}/v1/embeddings", body)))
        thread.start()
        deadline = time.monotonic() + 10
        while limiter.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        busy = assert_error(post(f"{url}/v1/embeddings", body), 503)
        assert busy["type"] == "server_error" and busy["code"] == "overloaded"
        assert post(f"{url}/v1/embeddings", body).headers["retry-after"] == "1"
        loop.call_soon_threadsafe(limiter.release)
        thread.join(60)
        assert waiting and waiting[0].status_code == 200, waiting
        assert post(f"{url}/v1/embeddings", body).status_code == 200


@pytest.mark.slow
def test_an_ingest_in_another_process_while_serving_changes_the_next_answer(tmp_path):
    import subprocess
    import sys

    root = tmp_path / "live"
    ingested_project(root)
    with running(create_app(root)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=120)

        def ask() -> tuple[str, str]:
            reply = client.chat.completions.create(model="live:rag", max_tokens=16,
                                                   messages=[{"role": "user", "content": QUESTION}])
            given = " ".join(s["text"] for s in reply.model_extra["ragtune"]["sources"])
            return reply.choices[0].message.content, given

        answer, given = ask()
        assert "27 months" in given and "27" in answer
        page = root / "documents" / "products" / "zephyr-z9.md"
        page.write_text(SERVE_DOCS["products/zephyr-z9.md"].replace("27 months", "33 months"), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "ragtune.cli", "ingest", str(root)], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "knowledge base version 2" in done.stdout
        answer, given = ask()  # no restart: the next request reads version 2
        assert "33 months" in given and "27 months" not in given
        assert "33" in answer and "27" not in answer


# ---------------------------------------------------------------------------------------------- hostile requests


def test_stop_sequences_are_bounded_in_number_and_length(base_url):
    chat = f"{base_url}/v1/chat/completions"
    ok = {"model": "pumps:base", "messages": [{"role": "user", "content": QUESTION}], "max_tokens": 1}
    assert_error(post(chat, json.dumps({**ok, "stop": ["a", "b", "c", "d", "e"]})), 400, "stop")
    too_long = assert_error(post(chat, json.dumps({**ok, "stop": ["x" * 65]})), 400, "stop")
    assert "64" in too_long["message"]
    assert_error(post(chat, json.dumps({**ok, "stop": "é" * 65})), 400, "stop")
    assert post(chat, json.dumps({**ok, "stop": ["é" * 64, "x"]})).status_code == 200


@pytest.mark.slow
def test_long_allowed_stops_cost_no_more_than_a_plain_request(base_url):
    chat = f"{base_url}/v1/chat/completions"
    ok = {"model": "pumps:base", "messages": [{"role": "user", "content": QUESTION}], "max_tokens": 2}

    def timed(**extra) -> float:
        started = time.perf_counter()
        assert post(chat, json.dumps({**ok, **extra})).status_code == 200
        return time.perf_counter() - started

    plain = min(timed(), timed())
    stops = [letter * 64 for letter in "éüöß"]  # non-ASCII: several tokens per character
    with_stops = timed(stop=stops)
    assert with_stops < 2 * plain + 3, (with_stops, plain)  # before: ~30 s against ~4 s on a busy 2-core CPU


@pytest.mark.slow
def test_a_plain_request_whose_client_left_stops_generating(app, base_url):
    chat = f"{base_url}/v1/chat/completions"
    story = {"model": "pumps:base", "max_tokens": 1000,
             "messages": [{"role": "user", "content": "Write a very long story about pumps."}]}
    with pytest.raises(httpx.ReadTimeout):  # the client gives up after 1.5 s and closes the connection
        httpx.post(chat, json=story, timeout=httpx.Timeout(60, read=1.5))
    left = time.monotonic()
    limiter = app.state.limiter
    while limiter.running and time.monotonic() - left < 15:
        time.sleep(0.05)
    assert limiter.running == 0, "generation went on after the client left"  # 1000 tokens take minutes
    quick = post(chat, json.dumps({**story, "max_tokens": 4}))
    assert quick.status_code == 200 and quick.json()["usage"]["completion_tokens"] <= 4
    assert time.monotonic() - left < 30


def test_max_tokens_is_capped_by_the_server(project):
    with pytest.raises(InputError, match="max_tokens"):
        create_app(project, max_tokens=0)
    with running(create_app(project, max_tokens=8)) as url:
        chat = f"{url}/v1/chat/completions"
        ok = {"model": "pumps:base", "messages": [{"role": "user", "content": QUESTION}]}
        capped = assert_error(post(chat, json.dumps({**ok, "max_tokens": 9})), 400, "max_tokens")
        assert "8" in capped["message"] and "--max-tokens" in capped["message"]
        assert_error(post(chat, json.dumps({**ok, "max_completion_tokens": 9})), 400, "max_completion_tokens")
        assert_error(post(chat, json.dumps({**ok, "max_tokens": 9, "stream": True})), 400, "max_tokens")
        unset = post(chat, json.dumps({**ok, "temperature": 0}))  # generation.max_new_tokens (96) is capped too
        assert unset.status_code == 200 and unset.json()["usage"]["completion_tokens"] <= 8


def ask_into(answers: list, url: str, body: dict) -> None:
    with contextlib.suppress(httpx.HTTPError):
        answers.append(httpx.post(url, json=body, timeout=120))


@pytest.mark.slow
def test_shutdown_with_a_long_generation_in_flight_is_bounded(project):
    app = create_app(project)
    story = {"model": "pumps:base", "max_tokens": 1000,
             "messages": [{"role": "user", "content": "Write a very long story about pumps."}]}
    with running(app) as url:
        assert post(f"{url}/v1/chat/completions", json.dumps({**story, "max_tokens": 1})).status_code == 200
        answers: list[httpx.Response] = []
        thread = threading.Thread(target=ask_into, args=(answers, f"{url}/v1/chat/completions", story), daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not app.state.limiter.running and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)
        assert app.state.limiter.running == 1
        stopping = time.monotonic()  # leaving the block does what SIGTERM does: uvicorn's should_exit
    took = time.monotonic() - stopping
    assert took < GRACE_S + 8, took  # before: the 1000 tokens ran to the end (minutes)
    assert app.state.limiter.running == 0
    thread.join(10)
    assert answers and assert_error(answers[0], 503)["code"] == "shutting_down"


@pytest.mark.slow
def test_tiny_temperatures_are_greedy(client):
    def ask(temperature: float) -> str:
        return client.chat.completions.create(model="pumps:base", max_tokens=6, temperature=temperature,
                                              messages=[{"role": "user", "content": QUESTION}]
                                              ).choices[0].message.content

    greedy = ask(0)
    for tiny in (1e-300, 5e-324, 1e-40, 1e-7):  # before: 500 "probability tensor contains inf/nan"
        assert ask(tiny) == greedy, tiny


def test_openapi_advertises_the_errors_the_server_answers(base_url):
    schema = httpx.get(f"{base_url}/openapi.json").json()
    assert "422" not in json.dumps(schema["paths"]) and "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["ErrorResponse"]["required"] == ["error"]
    chat = schema["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert set(chat) == {"200", "400", "404", "413", "500", "503"}  # no key on this server: no 401
    assert chat["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    assert set(schema["paths"]["/v1/embeddings"]["post"]["responses"]) == set(chat)
    assert set(schema["paths"]["/v1/models/{model}"]["get"]["responses"]) == {"200", "404", "500"}


def test_schema_needs_the_key_and_the_docs_pages_are_off_with_a_key(project, base_url):
    assert httpx.get(f"{base_url}/docs").status_code == 200  # no key: all open, on loopback
    with running(create_app(project, api_key_hash=hash_key(KEY))) as url:
        assert_error(httpx.get(f"{url}/openapi.json"), 401)
        response = httpx.get(f"{url}/openapi.json", headers={"Authorization": f"Bearer {KEY}"})
        assert response.status_code == 200
        paths = response.json()["paths"]
        assert "401" in paths["/v1/chat/completions"]["post"]["responses"]
        assert "401" in paths["/v1/models"]["get"]["responses"] and "401" in paths["/report"]["get"]["responses"]
        assert "401" not in paths["/health"]["get"]["responses"]
        for page in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            assert_error(httpx.get(f"{url}{page}"), 404)


def test_a_client_that_stalls_in_its_headers_is_disconnected(base_url):
    host, port = base_url.removeprefix("http://").split(":")

    def closed_after(sent: bytes) -> float:
        with socket.create_connection((host, int(port)), timeout=HEADER_TIMEOUT_S + 10) as sock:
            started = time.monotonic()
            sock.sendall(sent)
            data = b""
            while chunk := sock.recv(4096):  # a closed connection reads b""; before: blocked until our timeout
                data += chunk
            return time.monotonic() - started

    assert closed_after(b"GET /health HTTP/1.1\r\nHost: loc") <= HEADER_TIMEOUT_S + 2
    assert closed_after(b"") <= HEADER_TIMEOUT_S + 2  # connected, sent nothing
    with socket.create_connection((host, int(port)), timeout=HEADER_TIMEOUT_S + 10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")  # a whole request is answered
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
