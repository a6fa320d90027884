"""Serving under load: `ragtune serve` on loopback with 16 concurrent clients vs one client, same run.

Starts the real app (uvicorn, in this process) on a free loopback port for the bundled example (a temporary
ingested copy, or --project), then runs the baseline (one client, one request at a time) and the load (N clients)
for the same duration each, asking the example's test questions of the base and rag models with a small
max_tokens. Prints requests/s, latency p50/p95 per model, errors, and the throughput ratio. Usage:

    python bench/serve_load.py [--clients 16] [--seconds 30] [--max-tokens 16] [--concurrency 4] [--json]
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
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=4, help="the server's --max-concurrency")
    parser.add_argument("--project")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from ragtune.data.questions import load_questions
    from ragtune.server.app import create_app
    from ragtune.server.load import run_load
    from ragtune.server.run import serve_in_thread

    root = example_project(args.project)
    questions = [p.question for p in load_questions(EXAMPLE / "questions" / "test.jsonl")[:40]]
    app = create_app(root, max_concurrency=args.concurrency, max_queue=max(32, 2 * args.clients), preload=True)
    models = [app.state.service.model_id(v) for v in ("base", "rag")]
    out = {"concurrency": args.concurrency, "max_tokens": args.max_tokens}
    with serve_in_thread(app) as url:
        run_load(url, models, questions[:2], clients=1, seconds=1, max_tokens=args.max_tokens)  # warm-up
        out["one client"] = run_load(url, models, questions, 1, args.seconds, args.max_tokens).summary()
        out[f"{args.clients} clients"] = run_load(url, models, questions, args.clients, args.seconds,
                                                  args.max_tokens).summary()
    one, many = out["one client"], out[f"{args.clients} clients"]
    ratio = many["requests_per_s"] / one["requests_per_s"] if one["requests_per_s"] else None
    out["throughput_ratio"] = None if ratio is None else round(ratio, 2)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"server --max-concurrency {args.concurrency}, max_tokens {args.max_tokens}, {args.seconds:.0f} s each")
    print(f"{'load':<12}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 s':>8}{'p95 s':>8}   per model p50/p95")
    for label in ("one client", f"{args.clients} clients"):
        row = out[label]
        per_model = ", ".join(f"{m.split(':')[1]} {v['p50_s']}/{v['p95_s']}" for m, v in row["models"].items())
        print(f"{label:<12}{row['requests']:>9}{row['errors']:>8}{row['requests_per_s']:>8.2f}{row['p50_s']:>8.2f}"
              f"{row['p95_s']:>8.2f}   {per_model}")
    print(f"throughput {args.clients} clients / one client: {out['throughput_ratio']}x")


if __name__ == "__main__":
    main()
