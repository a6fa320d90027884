"""The web page at / in a real headless Chromium (Debian's, driven by Playwright), plus /api/status and /report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from conftest import SERVE_DOCS, assert_error
from conftest import SERVE_QUESTION as QUESTION

from ragtune import init_project
from ragtune.server.app import create_app
from ragtune.server.auth import hash_key
from ragtune.server.page import STATIC
from ragtune.server.run import serve_in_thread as running

KEY = "page-test-key"


@pytest.fixture(scope="module")
def project(pumps_project) -> Path:
    return pumps_project


@pytest.fixture(scope="module")
def base_url(project):
    with running(create_app(project)) as url:
        yield url


# ---------------------------------------------------------------------------------------------- without a browser


def test_page_and_static_files_are_served_and_shipped(base_url):
    page = httpx.get(f"{base_url}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/static/app.js" in page.text and "/static/style.css" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        response = httpx.get(f"{base_url}/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"], name
    assert_error(httpx.get(f"{base_url}/static/nothing.js"), 404)
    assert {p.name for p in STATIC.iterdir()} >= {"index.html", "app.js", "style.css"}
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"server/static/*"' in pyproject  # the files ship in the wheel


def test_status_names_the_kb_version_and_models(base_url, project):
    from ragtune import Project
    from ragtune.index.kb import KnowledgeBase

    status = httpx.get(f"{base_url}/api/status").json()
    assert status["project"] == "pumps" and status["report"] is None
    assert status["kb"]["version"] == KnowledgeBase(Project.load(project)).head() == 1
    assert status["kb"]["documents"] == len(SERVE_DOCS) and status["kb"]["chunks"] >= len(SERVE_DOCS)
    assert status["kb"]["created"]
    assert status["models"] == [{"id": "pumps:base", "variant": "base", "stale": []},
                                {"id": "pumps:few-shot", "variant": "few-shot", "stale": []},
                                {"id": "pumps:rag", "variant": "rag", "stale": []}]


def test_report_is_a_404_error_until_a_run_then_the_latest_without_restart(tmp_path):
    root = tmp_path / "reports"
    init_project(root)
    with running(create_app(root)) as url:
        error = assert_error(httpx.get(f"{url}/report"), 404)
        assert "ragtune compare" in error["message"]
        assert httpx.get(f"{url}/api/status").json()["kb"] is None
        for run, marker in (("20260101-000000", "first run"), ("20260102-000000", "second run")):
            folder = root / "runs" / run
            folder.mkdir(parents=True)
            (folder / "results.json").write_text(json.dumps({}), encoding="utf-8")
            (folder / "report.html").write_text(f"<html><body>{marker}</body></html>", encoding="utf-8")
            response = httpx.get(f"{url}/report")
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
            assert marker in response.text
            assert httpx.get(f"{url}/api/status").json()["report"] == {"run": run, "url": "/report"}


def test_api_key_guards_api_and_report_but_not_the_page(project):
    with running(create_app(project, api_key_hash=hash_key(KEY))) as url:
        assert httpx.get(f"{url}/").status_code == 200
        assert KEY not in httpx.get(f"{url}/").text
        assert httpx.get(f"{url}/static/app.js").status_code == 200
        assert assert_error(httpx.get(f"{url}/api/status"), 401)["type"] == "authentication_error"
        assert_error(httpx.get(f"{url}/report"), 401)
        assert_error(httpx.get(f"{url}/report", headers={"Authorization": "Bearer wrong"}), 401)
        good = {"Authorization": f"Bearer {KEY}"}
        assert httpx.get(f"{url}/api/status", headers=good).json()["kb"]["version"] == 1
        assert_error(httpx.get(f"{url}/report", headers=good), 404)  # past the key: no run yet


# ---------------------------------------------------------------------------------------------- in Chromium


@pytest.mark.slow
def test_page_streams_variants_side_by_side_with_sources(page, page_errors, base_url):
    page.goto(f"{base_url}/")
    page.wait_for_selector("#models input[value='pumps:rag']")
    models = page.eval_on_selector_all("#models input", "els => els.map(e => e.value)")
    assert models == ["pumps:base", "pumps:few-shot", "pumps:rag"]
    assert page.get_attribute("#kb", "data-version") == "1"
    assert "3 documents" in page.inner_text("#kb")
    assert page.is_hidden("#report-link")  # no compare run yet
    page.check("#models input[value='pumps:base']")
    page.uncheck("#models input[value='pumps:few-shot']")
    page.check("#models input[value='pumps:rag']")
    page.fill("#max-tokens", "24")
    page.fill("#question", QUESTION)
    page.click("#submit")
    page.wait_for_selector(".answer[data-model='pumps:base']")
    page.wait_for_function("""() => {
        const cards = [...document.querySelectorAll('.answer')];
        return cards.length === 2 && cards.every(c => c.dataset.state !== 'streaming');
    }""")
    for model in ("pumps:base", "pumps:rag"):
        card = f".answer[data-model='{model}']"
        assert page.get_attribute(card, "data-state") == "done", page.inner_text(card)
        assert page.inner_text(f"{card} .text").strip(), model
        assert int(page.get_attribute(card, "data-pieces")) > 1, "not streamed in pieces"
    rag = ".answer[data-model='pumps:rag']"
    assert page.locator(f"{rag} .source").count() >= 1
    assert page.locator(".answer[data-model='pumps:base'] .source").count() == 0
    assert page.is_hidden(f"{rag} .chunk")
    page.locator(f"{rag} .source").first.click()
    page.wait_for_selector(f"{rag} .chunk:not([hidden])")
    chunk = page.inner_text(f"{rag} .chunk")
    assert "products/zephyr-z9.md" in chunk and "27 months" in chunk
    assert not page_errors, page_errors
    if os.environ.get("RAGTUNE_PAGE_SCREENSHOT"):
        page.screenshot(path=os.environ["RAGTUNE_PAGE_SCREENSHOT"], full_page=True)


@pytest.mark.slow
def test_page_asks_for_the_key_once_and_sends_it(browser, project):
    with running(create_app(project, api_key_hash=hash_key(KEY))) as url:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{url}/")
        page.wait_for_selector("#key-form:not([hidden])")
        assert page.is_hidden("#app")
        page.fill("#key", "wrong")
        page.press("#key", "Enter")
        page.wait_for_function("() => document.getElementById('key-error').textContent.includes('incorrect')")
        page.fill("#key", KEY)
        page.press("#key", "Enter")
        page.wait_for_selector("#models input[value='pumps:rag']")
        assert page.get_attribute("#kb", "data-version") == "1"
        page.reload()  # kept in sessionStorage: not asked again
        page.wait_for_selector("#models input[value='pumps:rag']")
        assert page.is_hidden("#key-form")
        page.close()
