"""`ragtune migrate`: a knowledge base copied between LanceDB and PostgreSQL with its versions, labels and archive;
and the copy `compare --freshness` makes of a PostgreSQL knowledge base."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import set_config, write_file

from ragtune import ConfigError, Project, RagtuneError, ingest, init_project, migrate
from ragtune.cli import main
from ragtune.index.embed import Embedder
from ragtune.index.kb import KnowledgeBase
from ragtune.index.migrate import copy_store
from ragtune.index.store import ChunkStore
from ragtune.index.store.lancedb import LanceStore

DOCS = {
    "products/x200.md": "# X200 logger\n\n## Warranty\n\nThe X200 logger is covered by a warranty of 38 months.\n\n"
                        "## Battery\n\nThe X200 battery lasts 14 months between changes.\n",
    "policies/returns.md": "# Returns\n\nReturns must be requested within 45 days of delivery.\n",
    "hr/salary.md": "# Salary bands\n\nEngineers in band E3 earn a salary between 61,000 and 74,000 euros.\n",
    "hr/leave.md": "# Leave\n\nStaff get 27 days of annual leave, plus public holidays.\n",
}
ACCESS = 'access:\n  rules:\n    - {path: "hr/**", labels: [hr]}\n'
QUERIES = ["How long is the X200 warranty?", "annual leave days", "salary of an engineer", "returns deadline"]
WORDS = ["warranty", "salary", "leave", "days"]


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> Path:
    """A LanceDB project whose hr/ documents are labelled hr, ingested twice with a changed document between."""
    root = tmp_path_factory.mktemp("migrate") / "proj"
    init_project(root)
    for name, text in DOCS.items():
        write_file(root / "documents" / name, text)
    set_config(root, ACCESS)
    ingest(root)
    write_file(root / "documents" / "hr/leave.md", DOCS["hr/leave.md"].replace("27 days", "29 days"))
    assert ingest(root).version == 2
    return root


@pytest.fixture
def project(two_versions, tmp_path) -> Path:
    """A copy of the two-version project for one test to change."""
    root = tmp_path / "proj"
    shutil.copytree(two_versions, root, ignore=shutil.ignore_patterns(".lock"))
    return root


@pytest.fixture
def pg_target(pg_url, monkeypatch) -> dict[str, str]:
    """Store settings of a new PostgreSQL schema (URL read from an environment variable)."""
    monkeypatch.setenv("RAGTUNE_TEST_PG_URL", pg_url)
    return {"backend": "pgvector", "url": "env:RAGTUNE_TEST_PG_URL", "pg_schema": f"m_{uuid.uuid4().hex[:12]}"}


@pytest.fixture
def no_embedding(monkeypatch):
    """Fail the test if anything embeds a document (a migration or rollback must reuse the stored vectors)."""
    def refuse(self, texts, show_progress=None):
        raise AssertionError(f"re-embedded {len(texts)} chunks")

    monkeypatch.setattr(Embedder, "embed_documents", refuse)


def contents(store: ChunkStore) -> dict:
    """Everything a store holds: current ids with labels, archived chunks, metadata."""
    archived = store.archived(store.archive_ids())
    return {"labels": store.labels(), "archive": {i: (r.chunk, r.labels) for i, r in archived.items()},
            "meta": {k: store.read_meta(k) for k in store.meta_keys("")}}


def vectors(store: ChunkStore) -> np.ndarray:
    archived = store.archived(store.archive_ids())
    return np.stack([archived[i].vector for i in sorted(archived)])


def searches(store: ChunkStore, embedder: Embedder) -> dict:
    """Chunk ids of dense, keyword and restricted searches (keyword as sets: the two backends score differently)."""
    out = {}
    for query, vector in zip(QUERIES, embedder.embed_queries(QUERIES)):
        for allowed in (None, ["public"], ["hr"]):
            out[query, "dense", str(allowed)] = [h.chunk.id for h in store.search_dense(vector, 3, allowed=allowed)]
    for word in WORDS:
        for allowed in (None, ["public"], ["hr"]):
            out[word, "keyword", str(allowed)] = sorted(h.chunk.id for h in store.search_keyword(word, 50,
                                                                                                 allowed=allowed))
    return out


def test_migrate_round_trips_lancedb_to_postgresql_to_lancedb(project, pg_target, no_embedding):
    kb = KnowledgeBase(Project.load(project))
    original, original_vectors, found = contents(kb.store), vectors(kb.store), searches(kb.store, kb.embedder)
    assert sorted({tuple(ls) for ls in original["labels"].values()}) == [("hr",), ("public",)]
    assert len(original["archive"]) > len(original["labels"])  # the archive keeps version 1's leave chunk
    assert found["salary", "keyword", "['public']"] == [] and found["salary", "keyword", "['hr']"]

    report = migrate(project, pg_target, switch=True)
    assert (report.versions, report.head, report.current, report.archived, report.switched) == (
        2, 2, len(original["labels"]), len(original["archive"]), True)
    assert "2 versions, head 2" in "\n".join(report.lines()) and pg_target["pg_schema"] in report.target
    config = (project / "ragtune.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(config)["store"] == {**pg_target, "path": "kb", "ef_search": 100}
    assert "# Who may read which documents." in config and yaml.safe_load(config)["access"]["rules"]

    on_pg = KnowledgeBase(Project.load(project))  # the switched project reads PostgreSQL
    assert type(on_pg.store).__name__ == "PgVectorStore" and on_pg.store.schema == pg_target["pg_schema"]
    assert [(v["version"], v["current"]) for v in on_pg.versions()] == [(1, False), (2, True)]
    assert contents(on_pg.store) == original
    assert np.allclose(vectors(on_pg.store), original_vectors)
    assert searches(on_pg.store, on_pg.embedder) == found

    back = migrate(project, {"backend": "lancedb", "path": "kb-back"}, switch=True)
    assert back.source == report.target and (back.versions, back.current) == (2, report.current)
    on_lance = KnowledgeBase(Project.load(project))
    assert isinstance(on_lance.store, LanceStore) and on_lance.store.path == project / "kb-back"
    assert contents(on_lance.store) == original
    assert np.allclose(vectors(on_lance.store), original_vectors)
    assert searches(on_lance.store, on_lance.embedder) == found

    v1 = on_lance.manifest(1)
    assert on_lance.rollback(1) == 3  # the archive came along: nothing is re-embedded
    assert on_lance.store.ids() == {c for d in v1.documents.values() for c in d.chunks}
    assert {on_lance.store.labels()[c] == ["hr"] for c in v1.documents["hr/leave.md"].chunks} == {True}
    hits = on_lance.store.search_keyword("leave", 5, allowed=["hr"])
    assert hits and "27 days" in hits[0].chunk.text


def test_migrate_refuses_a_full_target_unless_replacing_and_the_project_s_own_store(project, pg_target):
    with pytest.raises(ConfigError, match="project's own store"):
        migrate(project, {"backend": "lancedb", "path": "./kb/"})
    first = migrate(project, {"backend": "lancedb", "path": "kb2"})
    assert first.current > 0 and not first.switched and "--switch" in first.lines()[-1]
    with pytest.raises(RagtuneError, match=r"kb2 already holds a knowledge base.*--replace"):
        migrate(project, {"backend": "lancedb", "path": "kb2"})
    assert migrate(project, {"backend": "lancedb", "path": "kb2"}, replace=True).current == first.current
    assert contents(LanceStore(project / "kb2")) == contents(LanceStore(project / "kb"))

    migrate(project, pg_target, switch=True)
    with pytest.raises(ConfigError, match="project's own store"):
        migrate(project, pg_target)
    with pytest.raises(RagtuneError, match="already holds a knowledge base"):  # the LanceDB folder is still there
        migrate(project, {"backend": "lancedb"})
    with pytest.raises(ConfigError, match="store.url"):
        migrate(project, {"backend": "pgvector", "pg_schema": "elsewhere"})


def record_store(path: Path, n: int = 5) -> LanceStore:
    """A LanceDB store with ``n`` archived chunks, the first three current, and one version's metadata."""
    from ragtune.corpus.document import Chunk
    from ragtune.index.store import ChunkRecord

    rng = np.random.default_rng(0)
    records = [ChunkRecord(Chunk(id=f"c{i}", source="a.md", title="A", section="", text=f"chunk {i}", position=i),
                           rng.normal(size=8).astype(np.float32), [f"team{i % 2}"]) for i in range(n)]
    store = LanceStore(path)
    store.archive(records)
    store.replace([], records[:3])
    store.write_meta("versions/000001", {"version": 1})
    store.write_meta("head", {"version": 1})
    return store


def test_copy_store_refuses_an_interrupted_source_and_reports_a_copy_that_differs(tmp_path):
    source = record_store(tmp_path / "source")
    source.write_meta("pending", {"version": 2, "restore": 1})
    with pytest.raises(RagtuneError, match="interrupted: run `ragtune ingest`"):
        copy_store(source, LanceStore(tmp_path / "target"))
    source.write_meta("pending", None)
    report = copy_store(source, LanceStore(tmp_path / "target"), batch=2)
    assert (report.archived, report.current, report.versions, report.head) == (5, 3, 1, 1)
    assert contents(LanceStore(tmp_path / "target")) == contents(source)

    class Lossy(LanceStore):
        def replace(self, delete, add):
            super().replace(delete, add[1:])

    with pytest.raises(RagtuneError, match="differs from .* in current chunks or their labels"):
        copy_store(source, Lossy(tmp_path / "lossy"))


def test_cli_migrate_prints_the_report_and_names_bad_settings(project, capsys):
    assert main(["migrate", str(project), "--to", "pgvector"]) == 2
    assert "store.url" in capsys.readouterr().err
    assert main(["migrate", str(project), "--to", "pgvector", "--url", "postgresql://x/y", "--pg-schema", "Bad"]) == 2
    assert "store.pg_schema" in capsys.readouterr().err
    assert main(["migrate", str(project), "--to", "lancedb", "--path", "kb-cli", "--switch"]) == 0
    out = capsys.readouterr().out
    assert "2 versions, head 2" in out and "kb-cli" in out
    assert yaml.safe_load((project / "ragtune.yaml").read_text())["store"]["path"] == "kb-cli"
    assert [v["version"] for v in KnowledgeBase(Project.load(project)).versions()] == [1, 2]


def schemas(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}


def test_freshness_copies_a_postgresql_knowledge_base_to_a_temporary_schema(project, pg_target, pg_url, tmp_path):
    from ragtune.evaluate.freshness import load_update, remove_copy, updated_copy

    migrate(project, pg_target, switch=True)
    update = tmp_path / "update"
    write_file(update / "documents" / "hr/leave.md", DOCS["hr/leave.md"].replace("27 days", "31 days"))
    write_file(update / "questions.jsonl", json.dumps({"question": "How many days of annual leave?",
                                                       "old_answer": "29 days", "new_answer": "31 days"}) + "\n")
    loaded = Project.load(project, [f"evaluation.freshness.update={update}"])
    own = KnowledgeBase(loaded)
    before = contents(own.store)

    workspace = tmp_path / "workspace"
    updated = updated_copy(loaded, load_update(loaded), workspace)
    fresh_schema = updated.config.store.pg_schema
    assert fresh_schema.startswith(pg_target["pg_schema"] + "_fresh_") and fresh_schema in schemas(pg_url)
    sync = KnowledgeBase(updated).sync()
    assert (sync.previous, sync.version, sync.changed, sync.chunks_embedded) == (2, 3, ["hr/leave.md"], 1)
    hits = KnowledgeBase(updated).store.search_keyword("annual leave", 1, allowed=["hr"])
    assert "31 days" in hits[0].chunk.text

    own = KnowledgeBase(Project.load(project))
    assert own.head() == 2 and contents(own.store) == before  # the project's own schema is untouched
    assert "29 days" in own.store.search_keyword("annual leave", 1, allowed=["hr"])[0].chunk.text
    remove_copy(loaded, workspace)
    assert not workspace.exists() and fresh_schema not in schemas(pg_url)
    assert pg_target["pg_schema"] in schemas(pg_url)
