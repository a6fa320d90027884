"""The ChunkStore contract on every backend (LanceDB folder, PostgreSQL + pgvector), and ingest on pgvector."""

from __future__ import annotations

import sys
import uuid

import numpy as np
import pytest

from ragtune import ConfigError, Project, RagtuneError, ingest, kb_rollback, load_config
from ragtune.config import RetrievalConfig
from ragtune.corpus.document import Chunk
from ragtune.errors import MissingDependencyError
from ragtune.index.kb import KnowledgeBase
from ragtune.index.retrieve import Retriever
from ragtune.index.store.base import ChunkRecord, ChunkStore

BACKENDS = ["lancedb", "pgvector"]
DIM = 16


def new_store(backend: str, request, tmp_path) -> ChunkStore:
    """An empty store of ``backend`` (pgvector: a fresh schema on the session's server)."""
    if backend == "lancedb":
        from ragtune.index.store.lancedb import LanceStore

        return LanceStore(tmp_path / f"lance-{uuid.uuid4().hex[:8]}")
    from ragtune.index.store.pgvector import PgVectorStore

    return PgVectorStore(request.getfixturevalue("pg_url"), f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> ChunkStore:
    return new_store(request.param, request, tmp_path)


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def records(n: int, seed: int = 0, dim: int = DIM, sources=None, start: int = 0) -> list[ChunkRecord]:
    """``n`` chunks with random unit vectors; sources cycle through ``sources``."""
    rng = np.random.default_rng(seed)
    vectors = unit(rng.normal(size=(n, dim)))
    sources = sources or ["docs/a.md"]
    out = []
    for i in range(n):
        j = start + i
        chunk = Chunk(id=f"c{j:05d}", source=sources[j % len(sources)], title=f"Title {j % 3}",
                      section=f"Section {j % 5}", text=f"Chunk number {j} about topic {j % 7}.", position=j,
                      page=j % 4 or None)
        out.append(ChunkRecord(chunk, vectors[i], labels=[f"team{j % 2}"]))
    return out


# -- the contract -------------------------------------------------------------------------------
def test_replace_ids_count_and_get(store):
    assert (store.ids(), store.count(), store.get(["c00000"])) == (set(), 0, [])
    store.replace([], [])  # nothing to do on an empty store
    first = records(10)
    store.replace([], first)
    assert store.ids() == {r.chunk.id for r in first} and store.count() == 10
    assert {c.id: c for c in store.get(["c00003", "c00007", "nope"])} == {
        "c00003": first[3].chunk, "c00007": first[7].chunk}
    store.replace(["c00000", "c00001", "missing"], records(3, seed=1, start=10))
    assert store.ids() == {f"c{i:05d}" for i in range(2, 13)} and store.count() == 11
    store.replace([f"c{i:05d}" for i in range(2, 13)], [])
    assert (store.ids(), store.count()) == (set(), 0)


def test_archive_is_idempotent_and_keeps_vectors_and_labels(store):
    recs = records(6)
    store.archive(recs[:4])
    store.archive(recs[2:] + recs[2:])
    found = store.archived(["c00001", "c00005", "missing"])
    assert set(found) == {"c00001", "c00005"}
    for cid, rec in found.items():
        original = recs[int(cid[1:])]
        assert rec.chunk == original.chunk and rec.labels == original.labels
        assert np.allclose(rec.vector, original.vector, atol=1e-6)
    assert store.count() == 0  # archiving does not make chunks searchable
    assert len(store.archived([r.chunk.id for r in recs])) == 6


def test_dense_search_ranks_alike_on_both_backends(request, tmp_path):
    recs = records(80, seed=3)
    stores = [new_store(backend, request, tmp_path) for backend in BACKENDS]
    for s in stores:
        s.replace([], recs)
    rng = np.random.default_rng(4)
    for query in unit(rng.normal(size=(10, DIM))):
        lance, pg = (s.search_dense(query, 8) for s in stores)
        assert [h.chunk.id for h in lance] == [h.chunk.id for h in pg]
        assert np.allclose([h.score for h in lance], [h.score for h in pg], atol=1e-5)
        expected = sorted(recs, key=lambda r: -float(r.vector @ query))[:8]
        assert [h.chunk.id for h in pg] == [r.chunk.id for r in expected]
    # a stored vector finds itself first, with cosine similarity 1
    top = stores[1].search_dense(recs[5].vector, 1)[0]
    assert top.chunk.id == "c00005" and top.score == pytest.approx(1.0, abs=1e-5)


def test_keyword_search_finds_the_chunk_with_a_rare_word(store):
    recs = records(30)
    recs[17].chunk.text = "Quillworts grow at the bottom of cold, clear lakes."
    store.replace([], recs)
    for query in ("quillwort", "Where do quillworts grow?"):
        hits = store.search_keyword(query, 3)
        assert hits and hits[0].chunk.id == "c00017"
        assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert store.search_keyword("zyzzogeton", 3) == []
    assert store.search_keyword("quillwort", 3, {"source": "elsewhere/*"}) == []



def test_keyword_ranking_weighs_rare_words_above_common_ones_and_fills_k(store):
    """BM25 on both backends: a chunk with the rare query word outranks chunks that repeat a common one, and when
    the rare word is in one chunk the search still returns k chunks matching the common word."""
    recs = records(40)
    for r in recs:
        r.chunk.text = "The pump pump pump is serviced every year."
    recs[23].chunk.text = "The gasket of the pump is replaced when it leaks."
    store.replace([], recs)
    hits = store.search_keyword("pump gasket", 5)
    assert hits[0].chunk.id == "c00023" and len(hits) == 5


def test_pgvector_keeps_keyword_statistics_equal_to_a_recount(request, tmp_path):
    store = new_store("pgvector", request, tmp_path)
    store.replace([], records(50))
    store.replace([f"c{i:05d}" for i in range(10)], records(20, seed=2, start=50))
    store.replace([f"c{i:05d}" for i in range(30, 60)], [])
    with store._pool.connection() as conn:
        kept = dict(conn.execute(store._sql("SELECT lexeme, df FROM {terms}")).fetchall())
        recount = dict(conn.execute(store._sql(
            "SELECT u.lexeme, count(*) FROM {chunks} c, unnest(c.tsv) u GROUP BY u.lexeme")).fetchall())
        totals = conn.execute(store._sql("SELECT chunks, lexemes FROM {corpus_stats}")).fetchone()
        counted = conn.execute(store._sql("SELECT count(*), sum(length(tsv)) FROM {chunks}")).fetchone()
    assert kept == recount and tuple(totals) == tuple(counted) and totals[0] == store.count() == 30

SOURCES = ["policies/leave.md", "policies/travel_eu.md", "policies/travelXeu.md", "products/z9.md",
           "support/contact.txt", "support/faq.md", "news/2024.md", "news/2025.md", "misc/a%b.md", "misc/axb.md"]


@pytest.mark.parametrize(("filters", "match"), [
    ({"source": "policies/*"}, lambda c: c.source.startswith("policies/")),
    ({"source": ["products/z9.md", "support/*"]}, lambda c: c.source == "products/z9.md"
                                                            or c.source.startswith("support/")),
    ({"source": "policies/travel_eu*"}, lambda c: c.source == "policies/travel_eu.md"),  # '_' is literal
    ({"source": "misc/a%b*"}, lambda c: c.source == "misc/a%b.md"),  # '%' is literal
    ({"source": "*.txt", "title": "Title 1"}, lambda c: c.source.endswith(".txt") and c.title == "Title 1"),
    ({"section": ["Section 2", "Section 4"], "source": "news/*"},
     lambda c: c.section in ("Section 2", "Section 4") and c.source.startswith("news/")),
    ({"source": "nowhere.md"}, lambda c: False),
])
def test_filters_never_return_a_non_matching_chunk_and_return_k_when_k_match(store, filters, match):
    recs = records(600, seed=5, sources=SOURCES)
    store.replace([], recs)
    matching = {r.chunk.id for r in recs if match(r.chunk)}
    query = unit(np.random.default_rng(6).normal(size=DIM))
    for k in (3, 20, len(matching) + 5):
        want = min(k, len(matching))
        dense = store.search_dense(query, k, filters)
        assert {h.chunk.id for h in dense} <= matching and len(dense) == want
        exact = sorted((r for r in recs if r.chunk.id in matching), key=lambda r: -float(r.vector @ query))[:want]
        assert [h.chunk.id for h in dense] == [r.chunk.id for r in exact]
        keyword = store.search_keyword("chunk topic", k, filters)
        assert {h.chunk.id for h in keyword} <= matching and len(keyword) == want
    with pytest.raises(ConfigError, match="filterable fields"):
        store.search_dense(query, 3, {"text": "x"})


def test_filtered_dense_search_on_the_hnsw_index_returns_k_when_the_matches_are_far_away(request, tmp_path):
    """Half the chunks match, all on the far side of the query: one HNSW pass finds none of them; the store's
    iterative scan keeps going until it has k (and k above hnsw.ef_search works without a filter too)."""
    store = new_store("pgvector", request, tmp_path)
    recs = records(3000, seed=7, sources=["near/x.md"])
    query = recs[0].vector
    for r in recs:
        if float(r.vector @ query) < 0:
            r.chunk.source = "far/x.md"
    far = {r.chunk.id for r in recs if r.chunk.source == "far/x.md"}
    store.replace([], recs)
    where, params = store._where({"source": "far/*"})
    plain = store._sql("SELECT id FROM {chunks} WHERE {where} ORDER BY vector <=> %s LIMIT 20", where=where)
    with store._pool.connection() as conn:
        conn.execute(store._sql("ANALYZE {chunks}"))
        plan = " ".join(row[0] for row in conn.execute(store._sql("EXPLAIN {q}", q=plain), [*params, query]))
        assert "chunks_vector_hnsw" in plan  # the planner does use the index here
        conn.execute("SELECT set_config('hnsw.iterative_scan', 'off', true)")
        assert len(conn.execute(plain, [*params, query]).fetchall()) < 20
    for k in (20, 100):
        hits = store.search_dense(query, k, {"source": "far/*"})
        assert len(hits) == k and {h.chunk.id for h in hits} <= far
        exact = sorted((r for r in recs if r.chunk.id in far), key=lambda r: -float(r.vector @ query))[:k]
        assert len({h.chunk.id for h in hits} & {r.chunk.id for r in exact}) >= 0.9 * k
        assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert len(store.search_dense(query, 100)) == 100  # more than hnsw.ef_search's default of 40
    store._iterative_scan = False  # pgvector < 0.8: filtered searches fall back to an exact scan
    exact = sorted((r for r in recs if r.chunk.id in far), key=lambda r: -float(r.vector @ query))[:20]
    assert [h.chunk.id for h in store.search_dense(query, 20, {"source": "far/*"})] == [r.chunk.id for r in exact]


def test_metadata_read_write_keys_and_delete(store):
    assert store.read_meta("head") is None and store.meta_keys("") == []
    value = {"version": 2, "documents": {"a.md": {"chunks": ["x", "y"], "sha256": "ab"}}, "note": "ünïcode ✓"}
    store.write_meta("versions/000002", value)
    store.write_meta("versions/000001", {"version": 1})
    store.write_meta("head", {"version": 1})
    store.write_meta("head", {"version": 2})
    assert store.read_meta("versions/000002") == value and store.read_meta("head") == {"version": 2}
    assert store.meta_keys("versions/") == ["versions/000001", "versions/000002"]
    assert store.meta_keys("") == ["head", "versions/000001", "versions/000002"]
    store.write_meta("head", None)
    store.write_meta("never-written", None)
    assert store.read_meta("head") is None and store.meta_keys("h") == []
    with pytest.raises(ValueError, match="bad metadata key"):
        store.write_meta("../escape", 1)


def test_drop_deletes_everything_and_the_store_stays_usable(store):
    store.replace([], records(5))
    store.archive(records(5))
    store.write_meta("head", {"version": 1})
    store.drop()
    assert (store.ids(), store.count(), store.archived(["c00001"]), store.meta_keys("")) == (set(), 0, {}, [])
    assert store.search_dense(records(1)[0].vector, 3) == [] and store.search_keyword("chunk", 3) == []
    store.replace([], records(4, dim=8))  # a new embedding size is fine after a drop
    assert store.count() == 4 and store.search_dense(records(1, dim=8)[0].vector, 2)



def another_handle(store: ChunkStore) -> ChunkStore:
    """The same store opened again, as another process would."""
    if hasattr(store, "schema"):
        from ragtune.index.store.pgvector import PgVectorStore

        return PgVectorStore(store.url, store.schema)
    from ragtune.index.store.lancedb import LanceStore

    return LanceStore(store.path)


def test_a_reader_open_across_a_drop_and_rebuild_sees_only_the_new_chunks(store):
    """A rebuilt LanceDB table restarts its version numbers: a reader must not keep the dropped chunks."""
    reader = another_handle(store)
    store.replace([], records(5))
    assert {h.chunk.id for h in reader.search_dense(records(1)[0].vector, 10)} == {f"c{i:05d}" for i in range(5)}
    store.drop()
    store.replace([], records(5, seed=3, start=100))
    found = {h.chunk.id for h in reader.search_dense(records(1)[0].vector, 10, allowed=["team0", "team1"])}
    assert found == {f"c{i:05d}" for i in range(100, 105)}

def test_a_different_embedding_size_says_to_rebuild(store):
    store.replace([], records(3))
    with pytest.raises(ConfigError, match="ingest --rebuild"):
        store.replace([], records(2, dim=8, start=10))
    assert store.count() == 3


# -- pgvector specifics -------------------------------------------------------------------------
def test_pgvector_errors_say_what_to_do(tmp_path, monkeypatch):
    from ragtune.index.store import open_store
    from ragtune.index.store.pgvector import PgVectorStore

    with pytest.raises(RagtuneError, match="cannot connect to PostgreSQL.*check store.url") as info:
        PgVectorStore(f"postgresql://postgres:secret@/postgres?host={tmp_path}/nothing", "t_x")
    assert "secret" not in str(info.value)  # the password never reaches a message
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "ragtune.yaml").write_text("name: p\nstore: {backend: pgvector}\n")
    with pytest.raises(ConfigError, match="store.url"):
        load_config(tmp_path / "p")
    (tmp_path / "p" / "ragtune.yaml").write_text("name: p\nstore: {backend: pgvector, url: 'env:RAGTUNE_NO_SUCH'}\n")
    monkeypatch.delenv("RAGTUNE_NO_SUCH", raising=False)
    with pytest.raises(ConfigError, match="RAGTUNE_NO_SUCH is not set"):
        open_store(load_config(tmp_path / "p").store, tmp_path / "p")
    (tmp_path / "p" / "ragtune.yaml").write_text("name: p\nstore: {backend: pgvector, url: x, pg_schema: Bad-Name}\n")
    with pytest.raises(ConfigError, match="store.pg_schema"):
        load_config(tmp_path / "p")


def test_missing_psycopg_names_the_pgvector_extra(monkeypatch):
    from ragtune.index.store.pgvector import PgVectorStore

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'ragtune\[pgvector\]'"):
        PgVectorStore("postgresql://localhost/x", "t_x")


DOCS = {
    "warranty.md": "# Warranty\n\n## Loggers\n\nThe X200 logger is covered for 38 months.\n\n"
                   "## Stations\n\nThe WS40 weather station is covered for 24 months.\n",
    "returns.md": "# Returns\n\nReturns must be requested within 45 days of delivery.\n",
    "travel.md": "# Travel\n\nHotel nights are reimbursed up to 180 euros per night.\n",
}


def test_ingest_versions_rollback_and_retrieval_on_pgvector(make_project, pg_url, monkeypatch):
    monkeypatch.setenv("RAGTUNE_TEST_PG_URL", pg_url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    root = make_project(DOCS, config=f"store:\n  backend: pgvector\n  url: env:RAGTUNE_TEST_PG_URL\n"
                                     f"  pg_schema: {schema}\n")
    first = ingest(root)
    assert first.version == 1 and sorted(first.added) == sorted(DOCS)
    project = Project.load(root)
    kb = KnowledgeBase(project)
    v1_ids = kb.store.ids()
    assert kb.store.count() == first.chunks_total and not (root / "kb" / "lancedb").exists()

    (root / "documents" / "warranty.md").write_text(DOCS["warranty.md"].replace("38 months", "40 months"))
    (root / "documents" / "travel.md").unlink()
    second = ingest(root)
    assert second.version == 2 and second.changed == ["warranty.md"] and second.removed == ["travel.md"]
    assert second.chunks_embedded == 1  # only the changed document's chunk is embedded again
    kb = KnowledgeBase(project)
    v2_ids = kb.store.ids()
    assert [(v["version"], v["current"]) for v in kb.versions()] == [(1, False), (2, True)]

    def answer_source(question: str) -> tuple[str, str]:
        store_kb = KnowledgeBase(project)
        hits = Retriever(store_kb.store, store_kb.embedder, project.config.retrieval).search_many([question], k=1)
        return hits[0][0].chunk.source, hits[0][0].chunk.text

    source, text = answer_source("How long is the X200 logger covered?")
    assert source == "warranty.md" and "X200 logger is covered for 40 months" in text
    assert kb_rollback(root, 1) == 3
    kb = KnowledgeBase(project)
    assert kb.store.ids() == v1_ids and kb.versions()[-1]["note"] == "rollback to 1"
    assert "X200 logger is covered for 38 months" in answer_source("How long is the X200 logger covered?")[1]
    assert answer_source("hotel reimbursement per night")[0] == "travel.md"
    rebuilt = ingest(root, rebuild=True)
    assert rebuilt.version == 1 and KnowledgeBase(project).store.ids() == v2_ids
    assert [v["version"] for v in KnowledgeBase(project).versions()] == [1]


# -- access labels ------------------------------------------------------------------------------
GROUPS = [f"g{i}" for i in range(12)]
WORDS = ["pump", "valve", "boiler", "invoice", "salary", "contract", "holiday", "turbine", "sensor", "audit",
         "pension", "gasket", "ledger", "bonus", "warranty", "filter", "compressor", "payroll", "tender", "rotor"]


def labelled_records(n: int, seed: int) -> list[ChunkRecord]:
    """Chunks with 0-3 random group labels (none: visible to no restricted reader) and texts of random words."""
    rng = np.random.default_rng(seed)
    vectors = unit(rng.normal(size=(n, DIM)))
    out = []
    for i in range(n):
        labels = sorted({str(g) for g in rng.choice(GROUPS, size=rng.integers(0, 4), replace=False)})
        text = " ".join(rng.choice(WORDS, size=6))
        chunk = Chunk(id=f"a{i:05d}", source=f"dept{i % 5}/doc{i % 40}.md", title="", section="", text=text,
                      position=i)
        out.append(ChunkRecord(chunk, vectors[i], labels=labels))
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_randomized_readers_never_see_a_chunk_outside_their_labels(backend, request, tmp_path):
    """1,000 random readers x dense, keyword and hybrid queries (some with metadata filters): every returned
    chunk holds one of the reader's labels, and a restricted search still returns k when k visible chunks match."""
    store = new_store(backend, request, tmp_path)
    recs = labelled_records(800, seed=7)
    store.archive(recs)
    store.replace([], recs)
    labels_of = {r.chunk.id: set(r.labels) for r in recs}
    source_of = {r.chunk.id: r.chunk.source for r in recs}
    assert store.labels() == {i: sorted(ls) for i, ls in labels_of.items()}
    retriever = Retriever(store, None, RetrievalConfig())
    rng = np.random.default_rng(11)
    checked = returned = 0
    for trial in range(1000):
        allowed = [str(g) for g in rng.choice(GROUPS + ["nobody"], size=rng.integers(0, 5), replace=False)]
        filters = {"source": f"dept{rng.integers(5)}/*"} if trial % 4 == 0 else None
        k = int(rng.integers(1, 25))
        visible = {i for i, ls in labels_of.items() if ls & set(allowed)
                   and (filters is None or source_of[i].startswith(filters["source"][:-1]))}
        vector = unit(rng.normal(size=DIM))
        dense = [h.chunk.id for h in store.search_dense(vector, k, filters, allowed=allowed)]
        words = " ".join(rng.choice(WORDS, size=2))
        keyword = [h.chunk.id for h in store.search_keyword(words, k, filters, allowed=allowed)]
        assert set(dense) <= visible and set(keyword) <= visible, (trial, allowed, filters)
        assert len(dense) == min(k, len(visible)), (trial, allowed, filters, len(dense), len(visible))
        if trial % 5 == 0:
            hybrid = retriever.search_many([words], k=k, mode="hybrid", filters=filters, vectors=vector[None, :],
                                           allowed=allowed)[0]
            assert {h.chunk.id for h in hybrid} <= visible
        checked += 1
        returned += len(dense) + len(keyword)
    assert checked == 1000 and returned > 10_000  # the searches did return chunks, not only empty lists
    assert store.search_dense(unit(np.ones(DIM)), 5, allowed=[]) == []  # a reader with no labels sees nothing
    assert len(store.search_dense(unit(np.ones(DIM)), 5)) == 5  # no reader: everything


def test_a_restricted_keyword_search_returns_k_of_the_visible_matches(store):
    recs = labelled_records(300, seed=3)
    store.replace([], recs)
    everything = [h.chunk.id for h in store.search_keyword("payroll bonus", 300)]
    allowed = ["g1", "g4"]
    visible = [i for i in everything if {"g1", "g4"} & set(next(r.labels for r in recs if r.chunk.id == i))]
    restricted = [h.chunk.id for h in store.search_keyword("payroll bonus", 10, allowed=allowed)]
    assert len(restricted) == min(10, len(visible)) and set(restricted) <= set(visible)
