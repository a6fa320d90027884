"""The knowledge base: incremental sync, versions, rollback, interrupted ingests and bad files (real LanceDB)."""

from __future__ import annotations

import shutil

import pytest

from ragtune import ConfigError, Project, ingest, kb_rollback, kb_versions
from ragtune.corpus.chunk import TokenCounter, chunk_document
from ragtune.corpus.parsers import parse_file
from ragtune.index.kb import KnowledgeBase
from ragtune.index.retrieve import Retriever
from ragtune.index.store.lancedb import LanceStore

DOCS = {
    "warranty.md": "# Warranty\n\n## Loggers\n\nThe X200 logger is covered for 38 months.\n\n"
                   "## Stations\n\nThe WS40 weather station is covered for 24 months.\n",
    "returns.md": "# Returns\n\nReturns must be requested within 45 days of delivery.\n",
    "travel.md": "# Travel\n\nHotel nights are reimbursed up to 180 euros per night.\n",
}


def expected_ids(root) -> set[str]:
    """Chunk ids of the documents folder as it is, computed without the knowledge base."""
    project = Project.load(root)
    counter = TokenCounter(KnowledgeBase(project).embedder.tokenizer)
    ids = set()
    for path in sorted((root / "documents").rglob("*.*")):
        doc = parse_file(path, path.relative_to(root / "documents").as_posix())
        ids |= {c.id for c in chunk_document(doc, 200, 40, counter)}
    return ids


def current_ids(root) -> set[str]:
    return KnowledgeBase(Project.load(root)).store.ids()


def test_add_modify_delete_give_exactly_the_expected_chunks_and_versions(make_project):
    root = make_project(DOCS)
    first = ingest(root)
    assert (first.version, sorted(first.added), first.chunks_embedded) == (1, sorted(DOCS), len(expected_ids(root)))
    v1_ids = current_ids(root)
    assert v1_ids == expected_ids(root)

    docs = root / "documents"
    (docs / "warranty.md").write_text(DOCS["warranty.md"].replace("24 months", "30 months"), encoding="utf-8")
    (docs / "travel.md").unlink()
    (docs / "security.md").write_text("# Security\n\nIncidents are reported within 4 hours.\n", encoding="utf-8")
    second = ingest(root)
    assert second.version == 2 and second.previous == 1
    assert (second.added, second.changed, second.removed, second.unchanged) == (
        ["security.md"], ["warranty.md"], ["travel.md"], 1)
    v2_ids = current_ids(root)
    assert v2_ids == expected_ids(root)
    # only chunks whose text changed are embedded again: the unchanged warranty section is reused
    assert second.chunks_embedded == len(v2_ids - v1_ids) < len(v2_ids)
    assert second.chunks_removed == len(v1_ids - v2_ids)

    third = ingest(root)
    assert third.version == 2 and third.unchanged == 3 and third.chunks_embedded == 0
    assert [v["version"] for v in kb_versions(root)] == [1, 2]
    assert [v["current"] for v in kb_versions(root)] == [False, True]


def test_rollback_restores_the_previous_answer_set_without_reembedding(make_project):
    root = make_project(DOCS)
    ingest(root)
    project = Project.load(root)
    questions = ["How long is the X200 covered?", "hotel reimbursement per night", "When must returns be requested?"]

    def top_hits() -> list[list[tuple[str, str]]]:
        kb = KnowledgeBase(project)
        retriever = Retriever(kb.store, kb.embedder, project.config.retrieval)
        return [[(h.chunk.source, h.chunk.text) for h in hits] for hits in retriever.search_many(questions, k=2)]

    before = top_hits()
    v1_ids = current_ids(root)
    (root / "documents" / "travel.md").unlink()
    (root / "documents" / "returns.md").write_text("# Returns\n\nReturns are accepted within 60 days.\n")
    ingest(root)
    assert top_hits() != before

    assert kb_rollback(root, 1) == 3
    assert current_ids(root) == v1_ids
    assert top_hits() == before
    versions = kb_versions(root)
    assert versions[-1]["note"] == "rollback to 1" and versions[-1]["current"]
    with pytest.raises(Exception, match="no knowledge-base version 9"):
        kb_rollback(root, 9)


def test_interrupted_ingest_keeps_the_last_version_and_the_next_run_completes_it(make_project, monkeypatch):
    root = make_project(DOCS)
    ingest(root)
    v1_ids = current_ids(root)
    (root / "documents" / "travel.md").unlink()
    (root / "documents" / "new.md").write_text("# New\n\nThe G5 gateway holds 9 days of readings.\n")

    real_replace = LanceStore.replace

    def crash_midway(self, delete, add):
        real_replace(self, delete, [])  # the deletions land, then the process dies before the additions
        raise KeyboardInterrupt

    monkeypatch.setattr(LanceStore, "replace", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        ingest(root)
    monkeypatch.setattr(LanceStore, "replace", real_replace)

    kb = KnowledgeBase(Project.load(root))
    assert kb.head() == 1
    assert kb.store.ids() == v1_ids  # opening the store restored version 1
    resumed = ingest(root)
    assert resumed.version == 2
    assert resumed.chunks_embedded == 0  # the interrupted run had archived the new embeddings
    assert current_ids(root) == expected_ids(root)



def test_opening_the_store_leaves_another_process_running_ingest_alone(make_project, monkeypatch):
    root = make_project(DOCS)
    ingest(root)
    v1_ids = current_ids(root)
    (root / "documents" / "travel.md").unlink()
    real_replace = LanceStore.replace

    def crash_midway(self, delete, add):
        real_replace(self, delete, [])
        raise KeyboardInterrupt

    monkeypatch.setattr(LanceStore, "replace", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        ingest(root)
    monkeypatch.setattr(LanceStore, "replace", real_replace)
    running = KnowledgeBase(Project.load(root))  # stands for an ingest holding the lock in another process
    with running._locked():
        reader = KnowledgeBase(Project.load(root))
        half_done = reader.store.ids()  # a reader (e.g. the server's status page) restores nothing
        assert half_done < v1_ids
    assert KnowledgeBase(Project.load(root)).store.ids() == v1_ids  # unlocked: the next opener recovers


BAD_FILES = {
    "empty.md": ("", "is empty"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    "latin1.md": ("# Café\n\nPrix: 12 € par mois, garantie prolongée.\n".encode("latin-1", "replace"), "UTF-8"),
    "broken.pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog", "PDF"),
    "fake.docx": ("this is not a zip file", "DOCX"),
    "image.xyz": (b"whatever", "unsupported file type"),
}


def test_bad_files_are_skipped_with_a_reason_while_the_rest_is_ingested(make_project):
    root = make_project({**DOCS, **{name: content for name, (content, _) in BAD_FILES.items()}})
    report = ingest(root)
    assert sorted(report.added) == sorted(DOCS)
    reasons = dict(report.skipped)
    assert sorted(reasons) == sorted(BAD_FILES)
    for name, (_, needle) in BAD_FILES.items():
        assert needle in reasons[name], (name, reasons[name])
    assert any(f"skipped {name}" in line for line in report.lines() for name in BAD_FILES)


def test_a_document_that_turns_corrupt_keeps_its_previous_version(make_project):
    root = make_project(DOCS)
    ingest(root)
    v1_ids = current_ids(root)
    (root / "documents" / "returns.md").write_bytes(b"\x00\x01\x02\x03binary\x00\x00garbage")
    report = ingest(root)
    assert report.skipped and "previous version kept" in report.skipped[0][1]
    assert current_ids(root) == v1_ids


def test_changing_the_embedding_model_asks_for_a_rebuild(make_project):
    root = make_project(DOCS)
    ingest(root)
    with pytest.raises(ConfigError, match="--rebuild"):
        ingest(root, overrides=["embedding.model=sentence-transformers/all-MiniLM-L6-v2"])


def test_rebuild_starts_over(make_project):
    root = make_project(DOCS)
    ingest(root)
    report = ingest(root, rebuild=True)
    assert report.version == 1 and report.chunks_embedded == len(expected_ids(root))


def test_a_rebuild_that_finds_nothing_leaves_the_knowledge_base_as_it_was(make_project):
    root = make_project(DOCS)
    ingest(root)
    before = current_ids(root)
    for path in (root / "documents").iterdir():
        path.unlink()
    report = ingest(root, rebuild=True)
    assert report.version is None and "left as it was" in report.warnings[-1]
    assert current_ids(root) == before and [v["version"] for v in kb_versions(root)] == [1]


def test_filters_restrict_every_retriever(make_project):
    root = make_project({**DOCS, "policies/leave.md": "# Leave\n\nStaff get 27 days of annual leave.\n",
                         "policies/returns-copy.md": DOCS["returns.md"].replace("45", "46")})
    ingest(root)
    project = Project.load(root)
    kb = KnowledgeBase(project)
    for mode in ("dense", "bm25", "hybrid"):
        retriever = Retriever(kb.store, kb.embedder, project.config.retrieval.model_copy(update={"mode": mode}))
        hits = retriever.search("returns within days", k=5, filters={"source": "policies/*"})
        assert hits and all(h.chunk.source.startswith("policies/") for h in hits), mode
        exact = retriever.search("returns", k=5, filters={"source": ["returns.md", "travel.md"]})
        assert {h.chunk.source for h in exact} <= {"returns.md", "travel.md"}, mode
    with pytest.raises(ConfigError, match="filterable fields"):
        Retriever(kb.store, kb.embedder, project.config.retrieval).search("x", filters={"colour": "red"})


def test_empty_documents_folder_makes_no_version(make_project):
    root = make_project({})
    report = ingest(root)
    assert report.version is None and "nothing to ingest" in report.lines()[0]
    shutil.rmtree(root / "documents")
    with pytest.raises(Exception, match="does not exist"):
        ingest(root)


def test_a_missing_embedding_model_says_what_to_fix(make_project):
    root = make_project(DOCS)
    with pytest.raises(ConfigError, match=r"embedding.model: './no-such-model' does not exist"):
        ingest(root, overrides=["embedding.model=./no-such-model"])
    assert kb_versions(root) == []  # nothing was written


def test_the_layout_pdf_parser_keeps_table_rows_and_a_parser_change_reparses(make_project):
    from conftest import EXAMPLE

    price_list = (EXAMPLE / "documents" / "products" / "price-list.pdf").read_bytes()
    root = make_project({"price-list.pdf": price_list})
    ingest(root)
    report = ingest(root, overrides=['parsers={".pdf": pdfplumber}'])
    assert report.changed == ["price-list.pdf"]  # the parser choice is part of how documents are read
    kb = KnowledgeBase(Project.load(root))
    texts = [c.text for c in kb.store.get(kb.store.ids())]
    row = "X200-8A4D-LTE | X200 with XM-2 LTE-M/NB-IoT modem | 1,395 | 1,610"
    assert sum(t.count(row) for t in texts) >= 1
    assert sum(t.count("X200-8A4D-LTE") for t in texts) == sum(t.count(row) for t in texts)  # no duplicate text


def test_unknown_parser_choices_are_config_errors(make_project):
    root = make_project(DOCS)
    with pytest.raises(ConfigError, match=r"no parser 'pdfplumber' for '.docx'"):
        ingest(root, overrides=['parsers={".docx": pdfplumber}'])


def test_embeddings_are_unit_length_in_float32_whatever_the_model_dtype():
    """A bf16 model normalizes only to ~0.4%; stores compare by cosine and the in-memory search by dot product."""
    import numpy as np

    from ragtune.config import EmbeddingConfig
    from ragtune.index.embed import Embedder

    for dtype in ("bfloat16", "float32"):
        embedder = Embedder(EmbeddingConfig(dtype=dtype))
        vectors = np.vstack([embedder.embed_documents([f"Chunk {i} about pumps and valves." for i in range(40)]),
                             embedder.embed_queries(["How long is the warranty?"])])
        assert vectors.dtype == np.float32 and np.abs(np.linalg.norm(vectors, axis=1) - 1).max() < 1e-5


def test_a_recovery_that_cannot_complete_is_reported_not_swallowed(make_project):
    """Only a busy lock defers recovery; a store that cannot be restored says so instead of serving half of it."""
    from ragtune import RagtuneError
    from ragtune.index.kb import PENDING

    root = make_project(DOCS)
    ingest(root)
    store = LanceStore(root / "kb")
    store.write_meta(PENDING, {"version": 2, "restore": 1})  # as a killed sync leaves it ...
    store.replace(sorted(store.ids()), [])  # ... after deleting the old chunks
    store._db.drop_table("archive")  # and the embeddings to restore them from are gone
    with pytest.raises(RagtuneError, match="not in the archive"):
        KnowledgeBase(Project.load(root)).store.ids()
