"""`ingest --engine ray`: the same knowledge base as a local ingest, one commit, failures that commit nothing."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import EXAMPLE, new_project

ray = pytest.importorskip("ray")

from ragtune import ingest, init_project  # noqa: E402
from ragtune.config import IngestConfig  # noqa: E402
from ragtune.errors import MissingDependencyError, RagtuneError  # noqa: E402
from ragtune.index.engines import RayEngine, make_engine  # noqa: E402
from ragtune.index.kb import KnowledgeBase  # noqa: E402
from ragtune.index.retrieve import Retriever  # noqa: E402
from ragtune.project import Project  # noqa: E402
from ragtune.rayutil import INGEST, check_reachable  # noqa: E402

# Vectors: the same model on the same CPU gives the same floats here (observed max difference 0.0 on the
# example), but Ray workers run torch on one thread (OMP_NUM_THREADS=1) and Ray Data may cut batches elsewhere
# (other padding) on other machines or corpora, which changes the order of float sums: unit float32 vectors then
# differ by about 1e-7 per component. 1e-5 allows that and is far below any difference in meaning.
VECTOR_ATOL = 1e-5


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray for the module (2 CPUs, quiet); the engine joins it and leaves it running."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _contents(root) -> tuple[dict, dict]:
    kb = KnowledgeBase(Project.load(root))
    labels = kb.store.labels()
    return labels, kb.store.archived(labels)


def test_ray_ingest_matches_local(example_project, tmp_path):
    root = tmp_path / "aldermoor"
    init_project(root, example=EXAMPLE)
    report = ingest(root, engine="ray")
    assert report.version == 1 and not report.skipped and report.chunks_embedded > 0

    local_labels, local = _contents(example_project)
    ray_labels, remote = _contents(root)
    assert ray_labels == local_labels  # the same chunk ids with the same access labels
    assert set(remote) == set(local)
    for cid, record in local.items():
        assert remote[cid].chunk == record.chunk  # texts, sources, sections, positions
        np.testing.assert_allclose(remote[cid].vector, record.vector, atol=VECTOR_ATOL, err_msg=cid)
    manifest, expected = KnowledgeBase(Project.load(root)).manifest(), KnowledgeBase(Project.load(example_project))
    assert manifest.documents == expected.manifest().documents

    again = ingest(root, engine="ray")  # nothing changed: no new version, nothing read or embedded
    assert again.version == 1 and again.unchanged == len(manifest.documents) and again.chunks_embedded == 0


def test_worker_failure_names_the_file_and_commits_nothing(tmp_path):
    root = new_project(tmp_path / "p", {
        "pumps.md": "# Pumps\n\nThe centrifugal pump moves coolant through the loop at 40 litres a minute.",
        "valves.md": "# Valves\n\nThe relief valve opens at 6 bar and closes again at 5 bar.",
    })
    assert ingest(root).version == 1
    (root / "documents" / "boom.md").write_text("# Boom\n\nThis file's worker fails.", encoding="utf-8")
    (root / "documents" / "fine.md").write_text("# Fine\n\nThis one is read normally.", encoding="utf-8")

    def failing_reader(config, job):  # a crash outside the per-file handling, inside the worker
        if job.file.source == "boom.md":
            raise SystemExit("worker lost")
        from ragtune.index.engines import _worker_read

        return _worker_read(config, job)

    kb = KnowledgeBase(Project.load(root), engine=RayEngine(reader=failing_reader))
    with pytest.raises(RagtuneError, match=r"boom\.md") as info:
        kb.sync()
    assert "nothing was committed" in str(info.value)

    after = KnowledgeBase(Project.load(root))
    assert after.head() == 1 and set(after.manifest().documents) == {"pumps.md", "valves.md"}
    hits = Retriever(after.store, after.embedder, after.project.config.retrieval).search("relief valve pressure")
    assert hits and hits[0].chunk.source == "valves.md"

    report = ingest(root, engine="ray")  # the real reader: the next sync goes through
    assert report.version == 2 and report.added == ["boom.md", "fine.md"]


def test_embedding_failure_names_the_files_and_commits_nothing(tmp_path):
    root = new_project(tmp_path / "p", {"pumps.md": "# Pumps\n\nThe pump moves coolant through the loop."})
    assert ingest(root).version == 1
    (root / "documents" / "new.md").write_text("# New\n\nA document whose chunks fail to embed.", encoding="utf-8")

    class FailingActor:
        def __init__(self, cfg):
            pass

        def __call__(self, batch):
            raise RuntimeError("out of GPU memory")

    engine = RayEngine()
    engine.actor = FailingActor
    with pytest.raises(RagtuneError, match=r"embedding the chunks of new\.md failed.*out of GPU memory"):
        KnowledgeBase(Project.load(root), engine=engine).sync()
    after = KnowledgeBase(Project.load(root))
    assert after.head() == 1 and set(after.manifest().documents) == {"pumps.md"}


def test_unreadable_file_is_skipped_as_locally(tmp_path):
    root = new_project(tmp_path / "p", {"a.md": "# A\n\nSome text about turbines.", "empty.md": "   \n"})
    report = ingest(root, engine="ray")
    assert report.version == 1 and report.added == ["a.md"], report.skipped
    assert [s for s, _ in report.skipped] == ["empty.md"] and "empty" in report.skipped[0][1]


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    with pytest.raises(MissingDependencyError, match=r"ragtune\[ray\]") as info:
        make_engine(IngestConfig(engine="ray"))
    assert isinstance(info.value, ImportError)
    assert make_engine(IngestConfig()).name == "local"


def test_unreachable_address_says_what_to_do():
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RagtuneError, match=r"cannot reach the Ray cluster at '127\.0\.0\.1:\d+'.*ray start --head"):
        check_reachable(f"127.0.0.1:{port}", INGEST, timeout=2)
    with pytest.raises(RagtuneError, match="expected host:port"):
        check_reachable("head-node", INGEST)
