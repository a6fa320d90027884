"""Ray scaling on this machine: ingestion docs/s and compare questions/s, local vs Ray with 1 and 2 workers.

All in one run, on the same corpus and questions:

- ingestion: a fresh project per engine ingests the same documents (SciFact abstracts from ../shared/data, one
  Markdown file each, written to a temporary folder; or the bundled example with --corpus example): locally,
  then with ``--engine ray`` on a local Ray of 1 and of 2 CPUs (the "workers": that many files are parsed at
  once, and the embedding actors are RayEngine's max(1, CPUs // 2)). Actors load the embedding model on each run,
  which is part of what Ray costs on a small corpus;
- compare: the bundled example's test questions (a fixed --questions sample), variants base and rag, no probes,
  tasks or judge: locally, then ``--engine ray`` with 1 and 2 answering actors on a local Ray of all CPUs. The
  figure is each arm's batched throughput (``performance.throughput_qps``: the base arm's includes loading the
  model, once per process or actor; rag's reuses it) and the whole compare's wall time. The Ray runs' answers
  are checked against the local run's (fp32, greedy: they should all match).

Ratios are against local in the same run, so the Ray overhead is the 1-worker ratio below 1. Usage:

    python bench/ray_scale.py [--corpus scifact|example] [--docs 500] [--questions 32] [--max-new-tokens 48]
                              [--batch 8] [--data ../shared/data] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAGTUNE_PROGRESS", "0")

from example_project import EXAMPLE  # noqa: E402  (bench/ is the script folder)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
WORKERS = (1, 2)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def scifact_documents(data: Path, count: int, folder: Path) -> int:
    """The first ``count`` SciFact abstracts as Markdown files in ``folder``; how many were written."""
    written = 0
    with (data / "scifact" / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if written >= count:
                break
            row = json.loads(line)
            text = f"# {row.get('title') or row['_id']}\n\n{row['text']}\n"
            (folder / f"{row['_id']}.md").write_text(text, encoding="utf-8")
            written += 1
    return written


def corpus_project(work: Path, name: str, args: argparse.Namespace) -> tuple[Path, int]:
    """A new, empty-store project holding the benchmark's documents; its folder and document count."""
    from ragtune import init_project

    root = work / name
    if args.corpus == "example":
        init_project(root, example=EXAMPLE)
        return root, sum(1 for p in (root / "documents").rglob("*") if p.is_file())
    init_project(root)
    return root, scifact_documents(Path(args.data), args.docs, root / "documents")


def time_ingest(work: Path, name: str, args: argparse.Namespace, engine: str) -> dict:
    from ragtune import ingest

    root, docs = corpus_project(work, name, args)
    started = time.perf_counter()
    report = ingest(root, engine=engine)
    seconds = time.perf_counter() - started
    shutil.rmtree(root, ignore_errors=True)
    return {"docs": docs, "chunks": report.chunks_embedded, "seconds": round(seconds, 2),
            "docs_per_s": round(docs / seconds, 2)}


def bench_ingest(ray, work: Path, args: argparse.Namespace) -> dict:
    """Local, then Ray with 1 and 2 CPUs; a tiny local ingest first loads what every run reads from disk."""
    from ragtune import ingest, init_project

    warm = work / "warm"
    init_project(warm)
    (warm / "documents" / "a.md").write_text("# Warm\n\nLoads the embedder once.\n", encoding="utf-8")
    ingest(warm)
    rows = {"local": time_ingest(work, "ingest-local", args, "local")}
    log(f"[ingest] local: {rows['local']}")
    for workers in WORKERS:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            rows[f"ray-{workers}"] = time_ingest(work, f"ingest-ray-{workers}", args, "ray")
        finally:
            ray.shutdown()
        log(f"[ingest] ray, {workers} worker(s): {rows[f'ray-{workers}']}")
    return rows


def run_compare(root: Path, args: argparse.Namespace, engine: str, workers: int | None) -> tuple[dict, dict]:
    """One compare (base, rag); its figures and its answers by (arm, question id)."""
    from ragtune import compare
    from ragtune.results import load_samples

    overrides = ["generation.dtype=float32", f"generation.batch_size={args.batch}",
                 f"generation.max_new_tokens={args.max_new_tokens}", "evaluation.latency_probes=0",
                 "evaluation.bootstrap=100"]
    started = time.perf_counter()
    run = compare(root, variants=["base", "rag"], limit=args.questions, overrides=overrides, tasks=[],
                  engine=engine, workers=workers, log=lambda _line: None)
    wall = time.perf_counter() - started
    answers = {(s.arm, s.id): s.answer for s in load_samples(run.folder) if s.phase == "test"}
    shutil.rmtree(run.folder, ignore_errors=True)
    arms = {arm: {"qps": run.results.perf(arm).throughput_qps} for arm in ("base", "rag")}
    return {"questions": run.results.questions.used, "wall_s": round(wall, 2), "arms": arms}, answers


def bench_compare(ray, work: Path, args: argparse.Namespace) -> dict:
    """Local, then Ray with 1 and 2 actors on a local Ray of every CPU."""
    from ragtune import ingest, init_project

    root = work / "compare"
    init_project(root, example=EXAMPLE)
    ingest(root)
    rows, expected = {}, None
    rows["local"], expected = run_compare(root, args, "local", None)
    log(f"[compare] local: {rows['local']}")
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        for workers in WORKERS:
            row, answers = run_compare(root, args, "ray", workers)
            row["answers_differing"] = sum(answers.get(key) != text for key, text in expected.items())
            rows[f"ray-{workers}"] = row
            log(f"[compare] ray, {workers} worker(s): {row}")
    finally:
        ray.shutdown()
    return rows


def ratios(rows: dict, value) -> dict:
    base = value(rows["local"])
    return {name: round(value(row) / base, 2) if base else None for name, row in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=["scifact", "example"], default="scifact")
    parser.add_argument("--docs", type=int, default=500, help="SciFact abstracts ingested")
    parser.add_argument("--questions", type=int, default=32, help="compare's evaluation.limit")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--batch", type=int, default=8, help="generation.batch_size")
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.corpus == "scifact" and not (Path(args.data) / "scifact" / "corpus.jsonl").is_file():
        parser.error(f"no SciFact corpus under {args.data}: pass --data, or --corpus example")

    import ray

    work = Path(tempfile.mkdtemp(prefix="ragtune-ray-scale-"))
    try:
        out = {"cpus": os.cpu_count(), "corpus": args.corpus, "ingest": bench_ingest(ray, work, args),
               "compare": bench_compare(ray, work, args)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ingest_rows, compare_rows = out["ingest"], out["compare"]
    print(f"{out['cpus']} CPUs; ingest: {ingest_rows['local']['docs']} {args.corpus} documents; "
          f"compare: {compare_rows['local']['questions']} questions, base and rag, fp32, batch {args.batch}, "
          f"{args.max_new_tokens} new tokens at most")
    speed = ratios(ingest_rows, lambda r: r["docs_per_s"])
    print(f"\n{'ingest':<10}{'docs/s':>9}{'chunks':>8}{'seconds':>9}{'vs local':>10}")
    for name, row in ingest_rows.items():
        print(f"{name:<10}{row['docs_per_s']:>9.2f}{row['chunks']:>8}{row['seconds']:>9.1f}{speed[name]:>9.2f}x")
    rag = ratios(compare_rows, lambda r: r["arms"]["rag"]["qps"])
    wall = ratios(compare_rows, lambda r: 1 / r["wall_s"])
    print(f"\n{'compare':<10}{'base q/s':>10}{'rag q/s':>9}{'rag vs local':>14}{'wall s':>8}{'wall vs local':>15}"
          f"{'answers differing':>19}")
    for name, row in compare_rows.items():
        print(f"{name:<10}{row['arms']['base']['qps']:>10.2f}{row['arms']['rag']['qps']:>9.2f}{rag[name]:>13.2f}x"
              f"{row['wall_s']:>8.1f}{wall[name]:>14.2f}x{row.get('answers_differing', 0):>19}")
    out["ratios"] = {"ingest_docs_per_s": speed, "compare_rag_qps": rag, "compare_wall": wall}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
