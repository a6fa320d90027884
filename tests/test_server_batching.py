"""Batched serving: concurrent requests on one model are generated together, each client still gets its own answer
(the one it gets when asking alone, greedy at fp32), closing one stream stops only that answer, and fine-tuned
adapters share their base model's weights."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from conftest import SERVE_QUESTION

from ragtune.config import GenerationConfig
from ragtune.generate.local import LocalGenerator
from ragtune.server.app import create_app
from ragtune.server.run import serve_in_thread as running

pytestmark = pytest.mark.slow

# (model, question, max_tokens, stop, streamed): different budgets and stop strings in one batch
REQUESTS = [
    ("pumps:base", SERVE_QUESTION, 16, None, False),
    ("pumps:base", "Within how many days can unused goods be returned?", 4, None, True),
    ("pumps:rag", "When is support open?", 12, None, True),
    ("pumps:base", "How much power does the Z9 draw?", 14, [" battery"], False),
    ("pumps:rag", "Can opened goods be refunded?", 10, ["."], False),
]
STORY = "Write a very long story about pumps."


@pytest.fixture(scope="module")
def app(pumps_project):
    return create_app(pumps_project)


@pytest.fixture(scope="module")
def base_url(app):
    with running(app) as url:
        yield url


def batcher(app):
    return app.state.service.runtime.generator.batcher


def ask(url: str, model: str, question: str, max_tokens: int, stop: list[str] | None, streamed: bool) -> dict:
    """One chat completion over HTTP: its text, finish reason and completion tokens (streamed or not)."""
    body = {"model": model, "messages": [{"role": "user", "content": question}], "max_tokens": max_tokens,
            "temperature": 0, "stop": stop, "stream": streamed, "stream_options": {"include_usage": True}}
    if not streamed:
        body.pop("stream_options")
        reply = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=300)
        assert reply.status_code == 200, reply.text
        data = reply.json()
        return {"text": data["choices"][0]["message"]["content"], "finish": data["choices"][0]["finish_reason"],
                "tokens": data["usage"]["completion_tokens"]}
    text, finish, tokens = "", None, None
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=300) as reply:
        assert reply.status_code == 200
        for line in reply.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[len("data: "):])
            assert "error" not in chunk, chunk
            if chunk["choices"]:
                text += chunk["choices"][0]["delta"].get("content") or ""
                finish = chunk["choices"][0]["finish_reason"] or finish
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
    return {"text": text.strip(), "finish": finish, "tokens": tokens}


def at_once(calls: list) -> list:
    """Run the calls on threads released together; their results (or exceptions) in order."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return results


@pytest.fixture(scope="module")
def alone(base_url) -> list[dict]:
    """Each request's answer asked alone, one after another."""
    return [ask(base_url, *request) for request in REQUESTS]


def test_concurrent_clients_each_get_the_answer_they_get_alone(app, base_url, alone):
    assert alone[1]["finish"] == "length" and alone[1]["tokens"] == 4
    assert alone[3]["finish"] == "stop" and "battery" not in alone[3]["text"]  # the stop strings were met
    assert alone[4]["finish"] == "stop" and alone[4]["tokens"] < 10
    batcher(app).largest = 0
    together = at_once([lambda r=r: ask(base_url, *r) for r in REQUESTS])
    assert together == alone
    assert batcher(app).largest >= 3, "the requests were not generated together"


def test_closing_one_stream_leaves_the_others_running(app, base_url, alone):
    body = {"model": "pumps:base", "messages": [{"role": "user", "content": STORY}], "max_tokens": 1000,
            "stream": True, "temperature": 0}
    others = [0, 2, 3]
    results: list = [None] * len(others)
    threads = [threading.Thread(target=lambda i=i, r=r: results.__setitem__(i, ask(base_url, *REQUESTS[r])))
               for i, r in enumerate(others)]
    rows = batcher(app)
    with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=body, timeout=120) as story:
        lines = story.iter_lines()
        words = (json.loads(line[len("data: "):])["choices"][0]["delta"].get("content") for line in lines if line)
        assert next(word for word in words if word)  # the story is being written
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while rows.running < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert rows.running >= 2, "no other request joined the story's batch"
    for thread in threads:  # the story's stream is closed: the others go on to their full answers
        thread.join(300)
    assert results == [alone[r] for r in others]
    deadline = time.monotonic() + 20
    while rows.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rows.running == 0, "the closed story went on generating"  # 1000 tokens take minutes
    limiter = app.state.limiter
    while limiter.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert limiter.running == 0


def test_max_batch_one_generates_one_request_at_a_time(pumps_project, alone):
    app = create_app(pumps_project, max_batch=1)
    with running(app) as url:
        batcher(app).largest = 0
        together = at_once([lambda r=r: ask(url, *r) for r in REQUESTS[:3]])
        assert batcher(app).largest == 1
    assert together == alone[:3]


# ---------------------------------------------------------------------------------------------- adapters


def tiny_adapter(model, folder, seed: int) -> str:
    """A random LoRA adapter of ``model`` (non-zero, so it changes the answers), saved to ``folder``."""
    import torch
    from peft import LoraConfig, get_peft_model

    from ragtune.generate.models import load_model_files, quiet_peft, resolve_model_path

    quiet_peft()
    torch.manual_seed(seed)
    fresh, _ = load_model_files(resolve_model_path(model), model, torch.float32, "cpu")
    config = LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(fresh, config).save_pretrained(folder)
    return str(folder)


def test_a_servers_runtime_attaches_lora_variants_and_batch_work_merges_them(tmp_path):
    """Who shares the base weights is said, not guessed: the server's runtime attaches, any other one merges (even
    with a max_batch set)."""
    from conftest import ingested_project

    from ragtune.config import DEFAULT_GENERATOR
    from ragtune.generate.models import load_causal_lm
    from ragtune.runtime import Runtime
    from ragtune.server.service import Service

    root = ingested_project(tmp_path / "p")
    folder = root / "models" / "ft"
    tiny_adapter(DEFAULT_GENERATOR, folder, seed=3)
    (folder / "manifest.json").write_text(json.dumps({"variant": "ft", "method": "lora",
                                                      "base_model": DEFAULT_GENERATOR}), encoding="utf-8")
    base, _ = load_causal_lm(DEFAULT_GENERATOR)
    served = Service(root).runtime.generator_for("ft")[0]
    assert served.adapter is not None and served.model.get_base_model() is base
    for runtime in (Runtime.load(root), Runtime.load(root, max_batch=4)):
        merged = runtime.generator_for("ft")[0]
        assert merged.adapter is None and merged.model is not base


def test_fine_tuned_adapters_share_the_base_weights_and_answer_their_own(tmp_path):
    import torch

    from ragtune.generate.models import load_model_files, merge_adapter, resolve_model_path

    cfg = GenerationConfig(max_new_tokens=12, temperature=0)
    folders = [tiny_adapter(cfg.model, tmp_path / f"adapter{i}", seed=i) for i in (1, 2)]
    base = LocalGenerator(cfg)
    ft, hybrid = (LocalGenerator(cfg, adapter=folder, share_base=True) for folder in folders)
    assert ft.model is hybrid.model and ft.adapter != hybrid.adapter
    weight = base.model.model.layers[0].self_attn.q_proj.weight
    for tuned in (ft, hybrid):
        shared = tuned.model.get_base_model().model.layers[0].self_attn.q_proj.weight
        assert shared.data_ptr() == weight.data_ptr()  # one copy of the base weights
    assert ft.batcher is base.batcher

    chat = [{"role": "user", "content": SERVE_QUESTION}]
    alone = [g.chat(chat) for g in (base, ft, hybrid)]
    assert len({g.text for g in alone}) == 3, [g.text for g in alone]  # each adapter acts, on its rows only
    base.batcher.largest = 0
    together = at_once([lambda g=g: g.chat(chat) for g in (base, ft, hybrid, ft)])
    assert base.batcher.largest >= 2
    assert [g.text for g in together] == [g.text for g in [*alone, alone[1]]]
    merged = LocalGenerator(cfg, adapter=folders[0])  # batch work (compare, ask): its own merged copy, same answer
    assert merged.model is not ft.model and merged.adapter is None
    assert merged.chat(chat).text == alone[1].text

    # direct calls under a generator's lock (log-likelihood scoring) run with its adapter, or none
    ids = torch.tensor([ft.encode(chat)])
    merged, _ = load_model_files(resolve_model_path(cfg.model), cfg.model, torch.float32, "cpu")
    merged = merge_adapter(merged, folders[0])
    with torch.inference_mode():
        expected = merged(input_ids=ids).logits[0, -1]
        with ft.lock:
            tuned = ft.model(input_ids=ids).logits[0, -1]
        with base.lock:
            plain = base.model(input_ids=ids).logits[0, -1]
        with ft.lock:
            again = ft.model(input_ids=ids).logits[0, -1]
    torch.testing.assert_close(tuned, expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(again, tuned)
    assert not torch.allclose(plain, tuned, atol=1e-3)


@pytest.mark.parametrize("broken", ["weights", "config"])
def test_a_broken_adapter_says_retrain_and_leaves_the_shared_model_untouched(tmp_path, broken):
    from ragtune.errors import RagtuneError
    from ragtune.generate.models import peft_model

    cfg = GenerationConfig(max_new_tokens=4, temperature=0)
    folder = tmp_path / "adapter"
    tiny_adapter(cfg.model, folder, seed=3)
    if broken == "weights":
        (folder / "adapter_model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    else:
        (folder / "adapter_config.json").write_text("{}", encoding="utf-8")
    base = LocalGenerator(cfg)
    attached_before = peft_model(base.model)
    names_before = [name for name, _ in base.model.named_modules()]
    with pytest.raises(RagtuneError, match="retrain it with `ragtune train`"):
        LocalGenerator(cfg, adapter=str(folder), share_base=True)
    assert peft_model(base.model) is attached_before
    assert [name for name, _ in base.model.named_modules()] == names_before  # no LoRA layers injected
