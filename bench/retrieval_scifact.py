"""Retrieval benchmark on BEIR SciFact: quality (nDCG@10) and speed (ingest, query latency) vs LlamaIndex.

Both systems index the same 5,183 abstracts with the same embedding model (all-MiniLM-L6-v2) and the
same chunk size, in the same run. Usage:

    python bench/retrieval_scifact.py [--data ../shared/data/scifact] [--docs N] [--no-llamaindex]
                                      [--dtype auto|float32|bfloat16]

LlamaIndex needs the bench extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from ragtune.config import EmbeddingConfig
from ragtune.evaluate.retrieval import ndcg_at_k, recall_at_k
from ragtune.index.embed import Embedder, embedding_dtype, resolve_embedder_path
from ragtune.progress import set_progress

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "scifact"
CHUNK_SIZE, CHUNK_OVERLAP = 200, 40


def load_scifact(folder: Path, limit: int | None):
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").open()]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (folder / "queries.jsonl").open())}
    qrels: dict[str, dict[str, float]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        qrels.setdefault(qid, {})[did] = float(score)
    if limit:
        keep = {d for rel in qrels.values() for d in rel}
        corpus = [d for d in corpus if d["_id"] in keep] + [d for d in corpus if d["_id"] not in keep]
        corpus = corpus[:limit]
    return corpus, {q: queries[q] for q in qrels}, qrels


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def bench_ragtune(corpus, queries, qrels, workdir: Path, dtype: str) -> dict:
    from ragtune.config import CONFIG_FILE
    from ragtune.index.kb import KnowledgeBase
    from ragtune.index.retrieve import Retriever
    from ragtune.project import Project

    docs = workdir / "documents"
    docs.mkdir(parents=True)
    for d in corpus:
        (docs / f"{d['_id']}.md").write_text(f"# {d['title']}\n\n{d['text']}\n", encoding="utf-8")
    (workdir / CONFIG_FILE).write_text(
        f"name: scifact\nchunking: {{size: {CHUNK_SIZE}, overlap: {CHUNK_OVERLAP}}}\nembedding: {{dtype: {dtype}}}\n",
        encoding="utf-8")
    project = Project.load(workdir)
    kb = KnowledgeBase(project)
    kb.embedder.embed_queries(["warm up"])  # model load is not ingest work
    started = time.perf_counter()
    report = kb.sync()
    ingest_s = time.perf_counter() - started
    out = {"ingest_s": ingest_s, "docs": len(corpus), "chunks": report.chunks_total,
           "embedding_dtype": embedding_dtype(project.config.embedding.dtype, project.config.embedding.device),
           "docs_per_s": len(corpus) / ingest_s, "modes": {}}
    qids = list(queries)
    embed_times, vectors = [], {}
    for qid in qids:
        t = time.perf_counter()
        vectors[qid] = kb.embedder.embed_queries([queries[qid]])
        embed_times.append(time.perf_counter() - t)
    out["query_embed_ms_p50"] = statistics.median(embed_times) * 1000
    configs = {"dense": {"mode": "dense"}, "bm25": {"mode": "bm25"},
               "hybrid-minmax": {"mode": "hybrid", "fusion": "minmax"},
               "hybrid-rrf": {"mode": "hybrid", "fusion": "rrf"}}
    for name, changes in configs.items():
        retriever = Retriever(kb.store, kb.embedder, project.config.retrieval.model_copy(update=changes))
        ndcg, recall, times = [], [], []
        for qid in qids:
            hits = retriever.search_many([queries[qid]], k=100, vectors=vectors[qid])[0]
            ranked = [Path(h.chunk.source).stem for h in hits]
            ndcg.append(ndcg_at_k(ranked, qrels[qid], 10))
            recall.append(recall_at_k(ranked, qrels[qid], 100))
            t = time.perf_counter()  # latency of retrieval proper: top 10, query already embedded
            retriever.search_many([queries[qid]], k=10, vectors=vectors[qid])
            times.append(time.perf_counter() - t)
        p50, p95 = percentiles(times)
        out["modes"][name] = {"ndcg@10": statistics.mean(ndcg), "recall@100": statistics.mean(recall),
                              "overhead_ms_p50": p50 * 1000, "overhead_ms_p95": p95 * 1000}
    return out


def bench_llamaindex(corpus, queries, qrels) -> dict:
    from llama_index.core import Document, Settings, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    embed = HuggingFaceEmbedding(model_name=resolve_embedder_path("all-MiniLM-L6-v2"), device="cpu")
    Settings.embed_model = embed
    Settings.llm = None
    embed.get_query_embedding("warm up")
    started = time.perf_counter()
    documents = [Document(text=f"{d['title']}\n\n{d['text']}", doc_id=d["_id"], metadata={"id": d["_id"]})
                 for d in corpus]
    splitter = SentenceSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    index = VectorStoreIndex.from_documents(documents, transformations=[splitter])
    ingest_s = time.perf_counter() - started
    retriever = index.as_retriever(similarity_top_k=100)
    timed = index.as_retriever(similarity_top_k=10)
    ndcg, times, embed_times = [], [], []
    for qid, text in queries.items():
        nodes = retriever.retrieve(text)
        ndcg.append(ndcg_at_k([n.node.metadata["id"] for n in nodes], qrels[qid], 10))
        t = time.perf_counter()
        embed.get_query_embedding(text)
        embed_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        timed.retrieve(text)
        times.append(time.perf_counter() - t)
    p50, p95 = percentiles(times)
    embed_p50 = statistics.median(embed_times) * 1000
    return {"ingest_s": ingest_s, "docs": len(corpus), "docs_per_s": len(corpus) / ingest_s,
            "ndcg@10": statistics.mean(ndcg), "latency_ms_p50": p50 * 1000, "latency_ms_p95": p95 * 1000,
            "query_embed_ms_p50": embed_p50, "overhead_ms_p50": p50 * 1000 - embed_p50}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--docs", type=int, default=None, help="index only N documents (judged ones first)")
    parser.add_argument("--no-llamaindex", action="store_true")
    parser.add_argument("--dtype", default="auto", help="ragtune's embedding.dtype (auto, float32, bfloat16)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    set_progress(False)
    corpus, queries, qrels = load_scifact(args.data, args.docs)
    Embedder(EmbeddingConfig(dtype=args.dtype)).embed_queries(["load"])
    with tempfile.TemporaryDirectory() as tmp:
        ours = bench_ragtune(corpus, queries, qrels, Path(tmp), args.dtype)
    results = {"ragtune": ours}
    print(f"SciFact: {len(corpus)} documents, {len(queries)} test queries, chunk size {CHUNK_SIZE} tokens")
    print(f"ragtune ingest: {ours['ingest_s']:.1f} s, {ours['docs_per_s']:.1f} docs/s, {ours['chunks']} chunks "
          f"(embeddings in {ours['embedding_dtype']})")
    print(f"query embedding p50: {ours['query_embed_ms_p50']:.2f} ms")
    print("retrieval overhead = top-10 search time with the query already embedded")
    print(f"{'mode':<15}{'nDCG@10':>9}{'R@100':>8}{'overhead p50 ms':>17}{'p95 ms':>9}")
    for name, m in ours["modes"].items():
        print(f"{name:<15}{m['ndcg@10']:>9.3f}{m['recall@100']:>8.3f}{m['overhead_ms_p50']:>17.2f}"
              f"{m['overhead_ms_p95']:>9.2f}")
    print("anchors (BEIR): BM25 0.665-0.679, all-MiniLM-L6-v2 0.645; goal: hybrid >= 0.70")
    if not args.no_llamaindex:
        theirs = bench_llamaindex(corpus, queries, qrels)
        results["llamaindex"] = theirs
        print(f"LlamaIndex ingest: {theirs['ingest_s']:.1f} s, {theirs['docs_per_s']:.1f} docs/s; "
              f"dense nDCG@10 {theirs['ndcg@10']:.3f}; top-10 retrieval p50 {theirs['latency_ms_p50']:.2f} ms, "
              f"p95 {theirs['latency_ms_p95']:.2f} ms, of which query embedding {theirs['query_embed_ms_p50']:.2f} ms "
              f"-> overhead p50 {theirs['overhead_ms_p50']:.2f} ms")
        print(f"ratio: ragtune ingest throughput = {ours['docs_per_s'] / theirs['docs_per_s']:.2f}x LlamaIndex "
              f"(goal >= 2x); ragtune dense overhead p50 {ours['modes']['dense']['overhead_ms_p50']:.2f} ms, "
              f"hybrid {ours['modes']['hybrid-minmax']['overhead_ms_p50']:.2f} ms (goal <= 5 ms)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
