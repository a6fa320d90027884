"""Ingest safety: a killed ingest (SIGKILL mid-commit) leaves the previous version whole on both stores; one
writer at a time, across machines on PostgreSQL; a schema written by another project is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from conftest import set_config

from ragtune import ConfigError, Project, RagtuneError, ingest
from ragtune.index.kb import PENDING, KnowledgeBase

DOCS = {
    "warranty.md": "# Warranty\n\nThe X200 logger is covered for 38 months.\n",
    "returns.md": "# Returns\n\nReturns must be requested within 45 days of delivery.\n",
    "travel.md": "# Travel\n\nHotel nights are reimbursed up to 180 euros per night.\n",
}
PG_STORE = "store:\n  backend: pgvector\n  url: env:RAGTUNE_TEST_PG_URL\n  pg_schema: {schema}\n"

# A child process that ingests, stalling at the worst moment: after the old chunks are deleted and before the
# new ones are added (LanceDB), or after the transaction has started writing (PostgreSQL, stalled by a lock).
CHILD = textwrap.dedent("""
    import sys, time
    from ragtune.index.store.lancedb import LanceStore
    original = LanceStore.replace

    def stalled(self, delete, add):
        original(self, delete, [])
        print("stalled", flush=True)
        time.sleep(600)

    LanceStore.replace = stalled
    import ragtune
    ragtune.ingest(sys.argv[1])
""")


def change_documents(root) -> None:
    (root / "documents" / "warranty.md").write_text(DOCS["warranty.md"].replace("38", "40"), encoding="utf-8")
    (root / "documents" / "travel.md").unlink()
    (root / "documents" / "fleet.md").write_text("# Fleet\n\nVans are serviced every 20,000 km.\n", encoding="utf-8")


def state(root) -> tuple[int | None, set[str], object]:
    kb = KnowledgeBase(Project.load(root))
    return kb.head(), kb.store.ids(), kb.store.read_meta(PENDING)


def committed_ids(root) -> set[str]:
    kb = KnowledgeBase(Project.load(root))
    return {cid for d in kb.manifest().documents.values() for cid in d.chunks}


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the ingest to reach its commit")
        time.sleep(0.2)


def test_lancedb_ingest_killed_between_delete_and_add_recovers_the_previous_version(make_project):
    root = make_project(DOCS)
    ingest(root)
    head, before, _ = state(root)
    change_documents(root)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(root)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "RAGTUNE_PROGRESS": "0"})
    try:
        assert child.stdout.readline().strip() == "stalled"
        from ragtune.index.store.lancedb import LanceStore

        assert LanceStore(root / "kb").ids() < before  # a store opened without recovery: half-written now
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert state(root) == (head, before, None)  # opening recovered the previous version
    report = ingest(root)
    assert report.version == head + 1 and report.chunks_embedded == 0  # the killed run's embeddings were kept
    assert state(root)[1] == committed_ids(root)


def pg_waiting_backends(url: str, pid_excluded: int) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> %s",
                            [pid_excluded]).fetchone()[0]


def test_pgvector_ingest_killed_inside_its_commit_leaves_the_previous_version_whole(make_project, pg_url,
                                                                                     monkeypatch):
    import psycopg

    monkeypatch.setenv("RAGTUNE_TEST_PG_URL", pg_url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    root = make_project(DOCS, config=PG_STORE.format(schema=schema))
    ingest(root)
    head, before, _ = state(root)
    change_documents(root)
    with psycopg.connect(pg_url) as blocker:
        # EXCLUSIVE lets the ingest read the chunks table but stalls its first write there, inside the commit
        blocker.execute(f'LOCK TABLE "{schema}".chunks IN EXCLUSIVE MODE')
        blocker_pid = blocker.execute("SELECT pg_backend_pid()").fetchone()[0]
        child = subprocess.Popen([sys.executable, "-m", "ragtune", "ingest", str(root)],
                                 env={**os.environ, "RAGTUNE_PROGRESS": "0"}, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: child.poll() is not None or pg_waiting_backends(pg_url, blocker_pid) > 0)
            assert child.poll() is None, child.stderr.read()
            with psycopg.connect(pg_url, autocommit=True) as peek:  # the commit is under way, not visible
                pending = peek.execute(f'SELECT count(*) FROM "{schema}".meta WHERE key = %s', [PENDING]).fetchone()
                assert pending[0] == 0
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        blocker.rollback()
    assert state(root) == (head, before, None)
    report = ingest(root)
    assert report.version == head + 1 and report.chunks_embedded == 0
    assert state(root)[1] == committed_ids(root)


def test_pgvector_writer_lock_holds_across_project_folders(make_project, pg_url, monkeypatch, tmp_path):
    """Two checkouts of one project on two machines share the schema, not a lock file: the second waits its turn."""
    monkeypatch.setenv("RAGTUNE_TEST_PG_URL", pg_url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    root = make_project(DOCS, config=PG_STORE.format(schema=schema))
    ingest(root)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "ragtune.yaml").write_text((root / "ragtune.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (other / "documents").symlink_to(root / "documents")
    busy = f"another ingest is running on PostgreSQL schema '{schema}'"
    with KnowledgeBase(Project.load(root)).store.lock(), pytest.raises(RagtuneError, match=busy):
        ingest(other)
    assert ingest(other).version == 1  # unchanged documents: no new version, and the lock is free again


def test_a_project_refuses_a_postgresql_schema_another_project_wrote(make_project, pg_url, monkeypatch):
    monkeypatch.setenv("RAGTUNE_TEST_PG_URL", pg_url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    root = make_project(DOCS, config=PG_STORE.format(schema=schema))
    ingest(root)
    set_config(root, "name: another-project\n")
    with pytest.raises(ConfigError, match=f"schema '{schema}' holds the knowledge base of project 'project'"):
        ingest(root)


# A child process that runs `ingest --rebuild` and stalls: once its new chunks are embedded (the old store would
# be gone if the rebuild had dropped it first), or once the new store is complete and marked ready, before the
# folders are swapped (argv[2] "ready").
REBUILD_CHILD = textwrap.dedent("""
    import sys, time
    from ragtune.index.kb import KnowledgeBase
    from ragtune.index.store.lancedb import LanceStore

    def stall(*args, **kwargs):
        print("stalled", flush=True)
        time.sleep(600)

    if sys.argv[2] == "ready":
        LanceStore._finish_rebuild = stall
    else:
        original = KnowledgeBase._embed_missing

        def embedded(self, chunks, report):
            records = original(self, chunks, report)
            stall()
            return records

        KnowledgeBase._embed_missing = embedded
    import ragtune
    ragtune.ingest(sys.argv[1], rebuild=True)
""")


def full_state(root) -> tuple:
    """Everything a rebuild must not lose: head, current chunks, versions, archive, and what a search finds."""
    from ragtune.index.retrieve import Retriever

    project = Project.load(root)
    kb = KnowledgeBase(project)
    hits = Retriever(kb.store, kb.embedder, project.config.retrieval).search("How long is the X200 covered?", k=1)
    return (kb.head(), kb.store.ids(), [v["version"] for v in kb.versions()], kb.store.archive_ids(),
            hits[0].chunk.text)


def killed_rebuild(root, stage: str = "embedded") -> None:
    child = subprocess.Popen([sys.executable, "-c", REBUILD_CHILD, str(root), stage], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "RAGTUNE_PROGRESS": "0"})
    try:
        assert child.stdout.readline().strip() == "stalled"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def two_versions(root) -> tuple:
    ingest(root)
    change_documents(root)
    assert ingest(root).version == 2
    return full_state(root)


def test_a_killed_rebuild_leaves_every_version_and_the_archive_searchable(make_project):
    root = make_project(DOCS)
    before = two_versions(root)
    killed_rebuild(root)
    assert full_state(root) == before
    assert "40 months" in before[-1]
    rebuilt = ingest(root, rebuild=True)  # the killed run's leftovers are cleared first
    assert rebuilt.version == 1 and rebuilt.chunks_embedded == len(before[1])
    assert full_state(root)[:3] == (1, before[1], [1]) and not (root / "kb" / ".rebuild").exists()


def test_a_rebuild_killed_while_swapping_is_completed_by_the_next_opener(make_project):
    from ragtune.index.store.lancedb import REPLACED, STAGE

    root = make_project(DOCS)
    before = two_versions(root)
    killed_rebuild(root, "ready")
    kb = root / "kb"
    (kb / REPLACED).mkdir()  # as if killed between the two folder renames of the swap
    os.replace(kb / "lancedb", kb / REPLACED / "lancedb")
    os.replace(kb / STAGE / "lancedb", kb / "lancedb")
    head, ids, versions, _, text = full_state(root)
    assert (head, ids, versions) == (1, before[1], [1]) and "40 months" in text
    assert not (kb / STAGE).exists() and not (kb / REPLACED).exists()


def test_a_killed_rebuild_on_pgvector_leaves_the_previous_knowledge_base(make_project, pg_url, monkeypatch):
    import psycopg

    monkeypatch.setenv("RAGTUNE_TEST_PG_URL", pg_url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    root = make_project(DOCS, config=PG_STORE.format(schema=schema))
    before = two_versions(root)
    killed_rebuild(root)
    assert full_state(root) == before
    assert ingest(root, rebuild=True).version == 1
    assert full_state(root)[:3] == (1, before[1], [1])
    with psycopg.connect(pg_url) as conn:
        left = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname = %s", [f"{schema}_rebuild"]).fetchall()
    assert left == []
