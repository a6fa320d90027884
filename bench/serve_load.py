"""Serving under load: `ragtune serve` on loopback, batched against serialized, at 1, 4 and 16 clients, same run.

Starts the real app (uvicorn, in this process) on a free loopback port for the bundled example (a temporary
ingested copy, or --project), twice: as today's server (``--max-batch 1``: one request generated at a time) and
as the batching one (``--max-batch 16``: concurrent requests on one model generated together). Each server gets a
warm-up, then the servers take turns at each load (N clients asking in a loop, for the same duration), asking the
example's test questions of the base and rag models (one model, so one batch) with a small max_tokens. Prints
requests/s, latency p50/p95 overall and per model, errors, and the throughput ratios: N clients against one
client on the same server, and batched against serialized at the same N. Usage:

    python bench/serve_load.py [--clients 1,4,16] [--seconds 30] [--max-tokens 16] [--batch 16] [--json]
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAGTUNE_PROGRESS", "0")

from example_project import EXAMPLE, example_project  # noqa: E402  (bench/ is the script folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,4,16", help="the loads, comma-separated (default: 1,4,16)")
    parser.add_argument("--seconds", type=float, default=30.0, help="per load (default: 30)")
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--batch", type=int, default=16, help="the batching server's --max-batch (default: 16)")
    parser.add_argument("--models", default="base,rag", help="variants asked in turn (default: base,rag)")
    parser.add_argument("--project")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    loads = [int(n) for n in args.clients.split(",")]

    from ragtune.data.questions import load_questions
    from ragtune.server.app import create_app
    from ragtune.server.load import run_load
    from ragtune.server.run import serve_in_thread

    root = example_project(args.project)
    questions = [p.question for p in load_questions(EXAMPLE / "questions" / "test.jsonl")[:40]]
    servers = {"serialized": 1, "batched": args.batch}
    out: dict = {"max_tokens": args.max_tokens, "seconds": args.seconds, "max_concurrency": max(loads),
                 "servers": {}}
    apps = {label: create_app(root, max_concurrency=max(loads), max_queue=max(32, 2 * max(loads)), max_batch=batch,
                              preload=True) for label, batch in servers.items()}
    models = [apps["batched"].state.service.model_id(v) for v in args.models.split(",")]
    with serve_in_thread(apps["serialized"]) as serialized, serve_in_thread(apps["batched"]) as batched:
        urls = {"serialized": serialized, "batched": batched}
        for label, url in urls.items():
            out["servers"][label] = {"max_batch": servers[label]}
            run_load(url, models, questions[:2], clients=1, seconds=1, max_tokens=args.max_tokens)  # warm-up
        for clients in loads:  # the servers take turns at each load, so a busier machine later hurts both alike
            for label, url in urls.items():
                out["servers"][label][clients] = run_load(url, models, questions, clients, args.seconds,
                                                          args.max_tokens).summary()
    _ratios(out, loads)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"--max-concurrency {max(loads)}, max_tokens {args.max_tokens}, {args.seconds:.0f} s per load, models "
          f"{args.models}")
    print(f"{'server':<12}{'clients':>8}{'requests':>9}{'errors':>7}{'req/s':>7}{'p50 s':>7}{'p95 s':>7}"
          f"{'vs 1 client':>12}{'vs serialized':>14}   per model p50/p95")
    for label, rows in out["servers"].items():
        for clients in loads:
            row = rows[clients]
            per_model = ", ".join(f"{m.split(':')[1]} {v['p50_s']}/{v['p95_s']}" for m, v in row["models"].items())
            print(f"{label:<12}{clients:>8}{row['requests']:>9}{row['errors']:>7}{row['requests_per_s']:>7.2f}"
                  f"{row['p50_s']:>7.2f}{row['p95_s']:>7.2f}{_x(row['vs_one_client']):>12}"
                  f"{_x(row.get('vs_serialized')):>14}   {per_model}")


def _ratios(out: dict, loads: list[int]) -> None:
    """Add each row's throughput against one client on the same server and against serialized at the same load."""
    servers = out["servers"]
    for label, rows in servers.items():
        for clients in loads:
            rate = rows[clients]["requests_per_s"]
            rows[clients]["vs_one_client"] = _ratio(rate, rows[loads[0]]["requests_per_s"])
            if label != "serialized":
                rows[clients]["vs_serialized"] = _ratio(rate, servers["serialized"][clients]["requests_per_s"])


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


if __name__ == "__main__":
    main()
