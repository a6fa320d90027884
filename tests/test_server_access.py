"""Server keys that read as a user or groups: each answers from the documents its reader may see, over HTTP with the
official client (LanceDB and PostgreSQL stores), and only the owner key may open the compare report."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import openai
import pytest
import yaml
from conftest import SERVE_DOCS, assert_error, ingested_project, new_project, write_file

from ragtune import ConfigError
from ragtune.config import AccessConfig, ApiKey
from ragtune.server.app import create_app
from ragtune.server.auth import hash_key, server_keys
from ragtune.server.run import serve_in_thread as running

OWNER_KEY, HR_KEY, STAFF_KEY, ENV_KEY = "owner-key-1", "hr-key-2", "staff-key-3", "env-key-4"
KEY_ENV = "RAGTUNE_TEST_HANA_KEY"
HR_DOC = "hr/leave.md"
DOCS = {**SERVE_DOCS, HR_DOC: "# Parental leave\n\nEmployees receive 22 weeks of paid parental leave, and may add "
                              "4 unpaid weeks of parental leave.\n"}
QUESTION = "How many weeks of paid parental leave do employees receive?"


def access_section(keys: list[dict] | None = None) -> dict:
    """``hr/**`` is labelled hr; sam is staff, hana is hr; keys for the hr group, sam, and hana (from $KEY_ENV)."""
    keys = keys if keys is not None else [
        {"name": "hr-app", "sha256": hash_key(HR_KEY), "groups": ["hr"]},
        {"name": "staff-app", "sha256": hash_key(STAFF_KEY), "user": "sam"},
        {"name": "hana-app", "env": KEY_ENV, "user": "hana"},
    ]
    return {"rules": [{"path": "hr/**", "labels": ["hr"]}], "users": {"sam": ["staff"], "hana": ["hr"]},
            "keys": keys}


def access_project(root: Path, docs: dict[str, str] | None = None, **sections: dict) -> Path:
    """A project at ``root`` with ``sections`` of ragtune.yaml replaced (access: ``access_section()``); with
    ``docs``, ingested."""
    config = yaml.safe_dump({"access": access_section(), **sections}, sort_keys=False)
    return ingested_project(root, docs, config) if docs else new_project(root, {}, config)


def fake_trained(root: Path, variant: str, kb: dict | None = None) -> None:
    """A "trained" model that is the base model's files (it answers as base does): no training needed; ``kb``: the
    knowledge-base version its data was built from, as training records it ({"version": n})."""
    from ragtune.config import DEFAULT_GENERATOR
    from ragtune.generate.models import resolve_model_path

    folder = root / "models" / variant
    folder.mkdir(parents=True)
    for file in Path(resolve_model_path(DEFAULT_GENERATOR)).iterdir():
        (folder / file.name).symlink_to(file)
    manifest = {"variant": variant, "method": "full", **({"kb": kb} if kb else {})}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def client_for(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=120)


def ask(client: openai.OpenAI, model: str, stream: bool = False) -> dict:
    """The answer's ``ragtune`` field (from the last chunk when streamed)."""
    request = {"model": model, "messages": [{"role": "user", "content": QUESTION}], "max_tokens": 4,
               "temperature": 0}
    if not stream:
        return client.chat.completions.create(**request).model_extra["ragtune"]
    chunks = list(client.chat.completions.create(stream=True, **request))
    (extra,) = [c.model_extra["ragtune"] for c in chunks if "ragtune" in (c.model_extra or {})]
    return extra


def documents(extra: dict) -> list[str]:
    return [s["document"] for s in extra["sources"]]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = access_project(tmp_path_factory.mktemp("access") / "people", DOCS)
    fake_trained(root, "hybrid")
    run = root / "runs" / "20260101-000000"
    write_file(run / "results.json", "{}")
    write_file(run / "report.html", "<html><body>every chunk of every document</body></html>")
    return root


@pytest.fixture(scope="module")
def url(project):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, ENV_KEY)
        app = create_app(project, api_key_hash=hash_key(OWNER_KEY))
    with running(app) as base:
        yield base


# ---------------------------------------------------------------------------------------------- retrieval per key


@pytest.mark.slow
def test_each_key_answers_from_the_documents_its_reader_may_see(url):
    for key in (OWNER_KEY, HR_KEY, ENV_KEY):  # the hana-app key reads as the user hana, who is in hr
        extra = ask(client_for(url, key), "people:rag")
        assert documents(extra)[0] == HR_DOC and "22 weeks" in extra["sources"][0]["text"], (key, extra)
    staff = client_for(url, STAFF_KEY)
    for stream in (False, True):
        seen = documents(ask(staff, "people:rag", stream=stream))
        assert seen and not any(d.startswith("hr/") for d in seen), seen
    assert documents(ask(client_for(url, HR_KEY), "people:rag", stream=True))[0] == HR_DOC


@pytest.mark.slow
def test_a_trained_variant_warns_a_restricted_reader_and_still_retrieves_only_its_documents(url):
    for stream in (False, True):
        extra = ask(client_for(url, STAFF_KEY), "people:hybrid", stream=stream)
        assert not any(d.startswith("hr/") for d in documents(extra))
        assert any("may not see" in w for w in extra["warnings"]), extra["warnings"]
    owner = ask(client_for(url, OWNER_KEY), "people:hybrid")
    assert documents(owner)[0] == HR_DOC and not any("may not see" in w for w in owner["warnings"])


@pytest.mark.slow
def test_the_learned_warning_counts_documents_by_their_current_labels(tmp_path):
    """A model trained while every document was public warns a reader once a rule added later hides a document it
    learned from (without a restart, and still after that document is deleted); a reader who may read every one of
    them gets no warning."""
    from ragtune import Project, ingest
    from ragtune.answer import Answerer

    access = {**access_section(keys=[]), "rules": [{"path": "later/**", "labels": ["hr"]}]}
    root = access_project(tmp_path / "late", DOCS, access=access, generation={"max_new_tokens": 2})
    fake_trained(root, "hybrid", kb={"version": 1})

    def warned(answerer: Answerer, reader: str) -> list[str]:
        answer = answerer.ask(QUESTION, "hybrid", reader=reader)
        hidden = reader == "sam" and "hr/**" in (root / "ragtune.yaml").read_text(encoding="utf-8")
        assert not hidden or HR_DOC not in [h.chunk.source for h in answer.sources]
        return [w for w in answer.warnings if "may not see" in w]

    answerer = Answerer(Project.load(root))
    assert warned(answerer, "sam") == []  # every document was and is public
    config = root / "ragtune.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("later/**", "hr/**"), encoding="utf-8")
    assert ingest(root).relabeled == [HR_DOC]
    assert any(f"learned from all {len(DOCS)} documents, 1 of which" in w for w in warned(answerer, "sam"))
    assert warned(answerer, "hana") == []
    (root / "documents" / HR_DOC).unlink()
    assert ingest(root).removed == [HR_DOC]
    answerer = Answerer(Project.load(root))
    assert any("1 of which" in w for w in warned(answerer, "sam"))  # learned it; the rules hide it now
    assert warned(answerer, "hana") == []


def test_a_name_that_is_both_a_user_and_a_key_group_stops_the_start(tmp_path, monkeypatch, capsys):
    """A key ``{groups: [ops]}`` beside a user ``ops: [hr]`` would read hr if groups and users shared names: refused
    at start, naming both."""
    from ragtune.cli import main

    monkeypatch.delenv("RAGTUNE_API_KEY", raising=False)
    keys = [{"name": "ops-app", "sha256": hash_key(HR_KEY), "groups": ["ops"]}]
    access = {**access_section(keys), "users": {"sam": ["staff"], "ops": ["hr"]}}
    root = access_project(tmp_path / "ops", access=access)
    both = r"'ops' is both a user \(access.users\) and a group \(access.keys\[0\] \(ops-app\)"
    with pytest.raises(ConfigError, match=both):
        create_app(root)
    assert main(["serve", str(root)]) == 2 and "'ops' is both a user" in capsys.readouterr().err
    ok = AccessConfig(users={"ops": ["hr"], "sam": ["staff"]},
                      keys=[ApiKey(name="staff-app", sha256=hash_key(STAFF_KEY), groups=["staff"]),
                            ApiKey(name="ops-user", sha256=hash_key(HR_KEY), user="ops", groups=["it"])])
    staff, ops = server_keys(None, ok)
    assert staff.labels == {"staff", "public"} and staff.describe()["reader"] == ["staff"]
    assert ops.labels == {"ops", "hr", "it", "public"} and ops.describe()["reader"] == ["ops", "it"]


# ---------------------------------------------------------------------------------------------- keys, report, status


def test_a_wrong_or_missing_key_is_401_and_any_valid_key_lists_models_and_embeds(url):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {hash_key(STAFF_KEY)}"}):
        for path in ("/v1/models", "/api/status", "/report"):
            assert assert_error(httpx.get(f"{url}{path}", headers=headers), 401)["type"] == "authentication_error"
    with pytest.raises(openai.AuthenticationError):
        client_for(url, "wrong").chat.completions.create(model="people:rag", messages=[{"role": "user",
                                                                                        "content": QUESTION}])
    for key in (OWNER_KEY, HR_KEY, STAFF_KEY, ENV_KEY):
        client = client_for(url, key)
        assert [m.id for m in client.models.list().data] == ["people:base", "people:few-shot", "people:rag",
                                                             "people:hybrid"]
        assert len(client.embeddings.create(model="people:rag", input="leave").data[0].embedding) == 384


def test_only_the_owner_key_opens_the_report_and_status_counts_what_the_key_may_read(url):
    def get(path: str, key: str) -> httpx.Response:
        return httpx.get(f"{url}{path}", headers={"Authorization": f"Bearer {key}"})

    owner = get("/api/status", OWNER_KEY).json()
    assert owner["report"] == {"run": "20260101-000000", "url": "/report"}
    assert owner["kb"]["documents"] == len(DOCS) and owner["key"]["owner"] is True
    assert "every chunk" in get("/report", OWNER_KEY).text
    for key, name, labels in ((STAFF_KEY, "staff-app", ["public", "sam", "staff"]),
                              (HR_KEY, "hr-app", ["hr", "public"])):
        error = assert_error(get("/report", key), 403)
        assert error["type"] == "permission_error" and "owner key" in error["message"] and name in error["message"]
        status = get("/api/status", key).json()
        assert status["report"] is None and status["key"]["name"] == name and status["key"]["labels"] == labels
    assert get("/api/status", STAFF_KEY).json()["kb"]["documents"] == len(SERVE_DOCS)  # hr/leave.md not counted


@pytest.mark.slow
def test_the_page_answers_with_a_restricted_key_and_shows_the_report_only_to_the_owner(url, page, page_errors):
    page.goto(f"{url}/")
    page.fill("#key", STAFF_KEY)
    page.press("#key", "Enter")
    page.wait_for_selector("#models input[value='people:rag']")
    assert "staff-app" in page.inner_text("#reader") and page.is_hidden("#report-link")
    assert f"{len(SERVE_DOCS)} documents" in page.inner_text("#kb")
    for model in ("people:base", "people:hybrid"):
        page.uncheck(f"#models input[value='{model}']")
    page.fill("#max-tokens", "8")
    page.fill("#question", QUESTION)
    page.click("#submit")
    card = ".answer[data-model='people:rag']"
    page.wait_for_selector(f"{card}:not([data-state='streaming'])")
    assert page.get_attribute(card, "data-state") == "done", page.inner_text(card)
    shown = page.locator(f"{card} .source").all_inner_texts()
    assert shown and not any("hr/" in s for s in shown), shown
    page.evaluate(f"sessionStorage.setItem('ragtune-api-key', {json.dumps(OWNER_KEY)})")
    page.reload()
    page.wait_for_selector("#models input[value='people:rag']")
    assert page.is_visible("#report-link") and page.is_hidden("#reader")
    assert f"{len(DOCS)} documents" in page.inner_text("#kb")
    assert not page_errors, page_errors


# ---------------------------------------------------------------------------------------------- start-up


def test_an_unset_key_variable_or_a_repeated_key_stops_the_start(tmp_path, monkeypatch, capsys):
    from ragtune.cli import main

    root = access_project(tmp_path / "unset")
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv("RAGTUNE_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=rf"hana-app.*{KEY_ENV}"):
        create_app(root)
    assert main(["serve", str(root)]) == 2 and KEY_ENV in capsys.readouterr().err  # before any model loads
    monkeypatch.setenv(KEY_ENV, HR_KEY)  # the same key as hr-app's hash
    with pytest.raises(ConfigError, match="'hr-app' and 'hana-app' are the same key"):
        create_app(root)
    access = AccessConfig(keys=[ApiKey(name="ci", sha256=hash_key(OWNER_KEY).upper(), groups=["hr"])])
    with pytest.raises(ConfigError, match="'owner' and 'ci'"):
        server_keys(hash_key(OWNER_KEY), access)


def test_access_keys_count_as_keys_for_a_non_loopback_bind(tmp_path, monkeypatch):
    import uvicorn

    from ragtune.server.run import serve

    root = access_project(tmp_path / "bind")
    monkeypatch.setenv(KEY_ENV, ENV_KEY)
    monkeypatch.delenv("RAGTUNE_API_KEY", raising=False)
    started: list = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: started.append(server.config))
    serve(root, host="0.0.0.0", port=1, say=lambda line: None)
    (config,) = started
    assert config.host == "0.0.0.0" and [k.name for k in config.app.state.keys] == ["hr-app", "staff-app", "hana-app"]
    no_keys = access_project(tmp_path / "open", access=access_section(keys=[]))
    with pytest.raises(ConfigError, match="access.keys"):
        serve(no_keys, host="0.0.0.0", port=1, say=lambda line: None)


# ---------------------------------------------------------------------------------------------- PostgreSQL


@pytest.mark.slow
def test_restricted_keys_on_a_pgvector_store(tmp_path, pg_url, monkeypatch):
    monkeypatch.setenv("RAGTUNE_TEST_PG_URL", pg_url)
    monkeypatch.setenv(KEY_ENV, ENV_KEY)
    store = {"backend": "pgvector", "url": "env:RAGTUNE_TEST_PG_URL", "pg_schema": f"t_{uuid.uuid4().hex[:12]}"}
    root = access_project(tmp_path / "pgpeople", DOCS, store=store)
    assert not (root / "kb" / "lancedb").exists()
    with running(create_app(root)) as url:
        staff = documents(ask(client_for(url, STAFF_KEY), "pgpeople:rag", stream=True))
        assert staff and not any(d.startswith("hr/") for d in staff), staff
        assert documents(ask(client_for(url, ENV_KEY), "pgpeople:rag"))[0] == HR_DOC
        assert_error(httpx.get(f"{url}/v1/models"), 401)
