"""Command line: a thin table of verbs over ragtune's public functions (no heavy imports at start-up)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable


def _pairs(items: list[str] | None, flag: str) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"error: {flag} {item!r}: expected key=value")
        if key in out:
            prev = out[key]
            out[key] = [*(prev if isinstance(prev, list) else [prev]), value]
        else:
            out[key] = value
    return out


def cmd_init(args: argparse.Namespace) -> None:
    from ragtune import init_project

    path = init_project(args.project, name=args.name, example=args.example)
    print(f"created {path}")
    print(f"next: put documents in {path.parent / 'documents'} and run `ragtune ingest {args.project}`")


def cmd_ingest(args: argparse.Namespace) -> None:
    from ragtune import ingest

    report = ingest(args.project, overrides=args.set, rebuild=args.rebuild, engine=args.engine, address=args.address)
    print("\n".join(report.lines()))


def cmd_ask(args: argparse.Namespace) -> None:
    from ragtune import ask

    stream = not args.json and not args.no_stream
    on_token = (lambda piece: print(piece, end="", flush=True)) if stream else None
    answer = ask(args.project, args.question, variant=args.variant, overrides=args.set, k=args.k,
                 filters=_pairs(args.filter, "--filter"), on_token=on_token, reader=args.reader)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return
    print(answer.text if not stream else "")
    for warning in answer.shown_warnings():  # the grounding check's too: "the answer is not supported ..."
        print(f"warning: {warning}", file=sys.stderr)
    if answer.sources:
        print("\nSources:")
        for n, hit in enumerate(answer.sources, start=1):
            c = hit.chunk
            where = " > ".join(p for p in (c.title, c.section) if p)
            page = f", p. {c.page}" if c.page else ""
            mark = "*" if n in answer.cited else " "
            print(f" {mark}[{n}] {c.source}{page} — {where}")
        if answer.cited:
            print("(* cited in the answer)")


def cmd_data(args: argparse.Namespace) -> None:
    from ragtune import build_data

    print("\n".join(build_data(args.project, overrides=args.set).lines()))


def cmd_train(args: argparse.Namespace) -> None:
    from ragtune import Project, train
    from ragtune.training.distributed import current_ranks
    from ragtune.training.launch import launch, launched, recording_errors
    from ragtune.training.trainer import default_variants

    overrides = [*(args.set or []), *_launch_overrides(args)]
    cfg = Project.load(args.project, overrides).config.training
    if cfg.launcher != "none" and not launched():  # run this command again under the launcher, once per rank
        launch(_train_args(args, overrides), cfg.num_processes, cfg.device)
        return
    method = args.method or cfg.method
    variants = default_variants(method) if args.variant in (None, "all") else [args.variant]
    for variant in variants:  # one at a time, so each report shows as soon as its model is saved
        with recording_errors():
            (report,) = train(args.project, variants=[variant], method=method, resume=args.resume,
                              overrides=overrides)
        if report.rank == 0:
            print("\n".join(report.lines()), flush=True)
    if (ranks := current_ranks(cfg.device)).world > 1:
        ranks.leave()  # a rank of a launch: ends once all are done


def _launch_overrides(args: argparse.Namespace) -> list[str]:
    """--launcher and --num-processes as the config keys they set."""
    out = [f"training.launcher={args.launcher}"] if args.launcher else []
    return out + ([f"training.num_processes={args.num_processes}"] if args.num_processes is not None else [])


def _train_args(args: argparse.Namespace, overrides: list[str]) -> list[str]:
    """The train command line each launched process runs (the same command, the flags as config overrides)."""
    out = [*(["--no-progress"] if args.no_progress else []), "train", args.project]
    out += [*(["--method", args.method] if args.method else []), *(["--variant", args.variant] if args.variant else [])]
    return out + (["--resume"] if args.resume else []) + [a for o in overrides for a in ("--set", o)]


def cmd_export(args: argparse.Namespace) -> None:
    from ragtune import export

    path = export(args.project, args.out, variant=args.variant, merge=args.merge)
    print(f"exported the {args.variant} model to {path}" + (" (adapter merged into the weights)" if args.merge else ""))


def cmd_kb(args: argparse.Namespace) -> None:
    from ragtune import kb_rollback, kb_versions

    if args.action == "versions":
        rows = kb_versions(args.project)
        if not rows:
            print("no versions yet: run `ragtune ingest` first")
        for row in rows:
            mark = "*" if row["current"] else " "
            summary = ", ".join(f"{k} {v}" for k, v in row["summary"].items())
            print(f"{mark}{row['version']:>4}  {row['created']}  {row['note']:<16} {row['documents']:>5} docs "
                  f"{row['chunks']:>7} chunks  {summary}")
    else:
        if args.version is None:
            raise SystemExit("error: kb rollback needs a version number: ragtune kb PROJECT rollback N")
        number = kb_rollback(args.project, args.version)
        print(f"version {args.version} restored as version {number}; "
              "the next `ragtune ingest` syncs the documents folder again")


def cmd_migrate(args: argparse.Namespace) -> None:
    from ragtune import migrate

    to = {"backend": args.to, "path": args.path, "url": args.url, "pg_schema": args.pg_schema}
    report = migrate(args.project, {k: v for k, v in to.items() if v is not None}, replace=args.replace,
                     switch=args.switch)
    print("\n".join(report.lines()))


def _arm(text: str):
    """NAME=VARIANT[:KEY=VALUE,...] -> ArmConfig (e.g. rag-k2=rag:retrieval.k=2)."""
    import yaml

    from ragtune.config import ArmConfig
    from ragtune.variants import names

    name, sep, rest = text.partition("=")
    variant, _, settings = rest.partition(":")
    if not sep or not name or not variant:
        raise SystemExit(f"error: --arm {text!r}: expected NAME=VARIANT[:KEY=VALUE,...], e.g. rag-k2=rag:retrieval.k=2")
    if variant not in names():
        raise SystemExit(f"error: --arm {text!r}: unknown variant {variant!r} ({', '.join(names())})")
    pairs = _pairs([s for s in settings.split(",") if s], "--arm")
    return ArmConfig(name=name, variant=variant, set={k: yaml.safe_load(v) for k, v in pairs.items()})


def cmd_compare(args: argparse.Namespace) -> None:
    from ragtune import compare
    from ragtune.evaluate.summary import summary_lines

    variants = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants else None
    arms = [_arm(a) for a in args.arm] if args.arm else None
    tasks = [] if args.no_tasks else [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None
    run = compare(args.project, variants=variants, arms=arms, freshness=args.freshness, limit=args.limit,
                  train_missing=False if args.no_train else None, overrides=args.set, tasks=tasks,
                  engine=args.engine, address=args.address, workers=args.workers)
    if args.json:
        print(json.dumps(run.results.to_json(), indent=2, ensure_ascii=False))
        return
    print("\n".join(summary_lines(run.results)))
    if run.results.recommendation is not None:
        print("\n" + "\n".join(run.results.recommendation.lines()))
    print(f"\nrun: {run.folder}\nreport: {run.folder / 'report.html'}")


def cmd_report(args: argparse.Namespace) -> None:
    from ragtune import report

    path = report(args.run)
    print(f"report: {path}")
    if args.open:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())


def cmd_recommend(args: argparse.Namespace) -> None:
    from ragtune import recommend

    interactive = args.ask or (args.ask is None and sys.stdin.isatty())
    decision = recommend(args.project, run=args.run, overrides=args.set, ask=input if interactive else None,
                         save=not args.no_save)
    print("\n".join(decision.lines()))


def cmd_serve(args: argparse.Namespace) -> None:
    from ragtune import serve
    from ragtune.serve_options import ServeOptions

    serve(args.project, overrides=args.set, options=ServeOptions.from_args(args))


def cmd_config_schema(args: argparse.Namespace) -> None:
    from ragtune import config_schema

    print(json.dumps(config_schema(), indent=2))


def cmd_results_schema(args: argparse.Namespace) -> None:
    from ragtune.results.reference import json_schema

    print(json.dumps(json_schema(), indent=2))


def engine_flags(p: argparse.ArgumentParser, section: str, what: str) -> None:
    """--engine and --address of a verb that can run on Ray (config keys ``<section>.engine``/``ray_address``)."""
    p.add_argument("--engine", choices=["local", "ray"],
                   help=f"{what} (default: {section}.engine, local); ray needs `pip install 'ragtune[ray]'`")
    p.add_argument("--address", metavar="HOST:PORT",
                   help=f"with --engine ray: the Ray cluster to join (default: {section}.ray_address; none starts "
                        "a local Ray)")


def _parser() -> argparse.ArgumentParser:
    from ragtune.serve_options import ServeOptions
    from ragtune.variants import DEFAULT_ASK, DEFAULT_TRAINED, METHODS, VARIANTS, described, names, trained

    parser = argparse.ArgumentParser(prog="ragtune", description="RAG, fine-tuning or both? Measure it on your data.")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--version", action="version", version="ragtune 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def verb(name: str, func: Callable, help: str, project: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        p.add_argument("--no-progress", action="store_true", default=argparse.SUPPRESS, help="no progress bars")
        if project:
            p.add_argument("project", help="project folder (holds ragtune.yaml)")
        return p

    def overridable(p: argparse.ArgumentParser) -> None:
        p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key, e.g. retrieval.k=5")

    p = verb("init", cmd_init, "create a project folder with a commented ragtune.yaml")
    p.add_argument("--name", help="project name (default: the folder name)")
    p.add_argument("--example", help="copy an example's documents and questions in (e.g. examples/aldermoor)")

    p = verb("ingest", cmd_ingest, "parse, chunk, embed and index the documents (incremental)")
    p.add_argument("--rebuild", action="store_true", help="drop the knowledge base and re-embed everything")
    engine_flags(p, "ingest", "where files are parsed, chunked and embedded")
    overridable(p)

    p = verb("ask", cmd_ask, "answer a question with cited sources")
    p.add_argument("question")
    p.add_argument("--variant", default=DEFAULT_ASK, choices=names(),
                   help=described({name: v.summary for name, v in VARIANTS.items()}))
    p.add_argument("-k", type=int, help="number of chunks to retrieve")
    p.add_argument("--filter", action="append", metavar="FIELD=VALUE", help="metadata filter, e.g. source=policies/*")
    p.add_argument("--as", dest="reader", metavar="USER|GROUP[,GROUP]",
                   help="answer for a user (access.users) or groups: retrieve only the documents they may read")
    p.add_argument("--json", action="store_true", help="print the answer and sources as JSON")
    p.add_argument("--no-stream", action="store_true", help="print the answer when complete")
    overridable(p)

    p = verb("data", cmd_data, "build training data (QA pairs, paraphrases, RAFT rows, pretraining text) under data/")
    p.add_argument("action", choices=["build"])
    overridable(p)

    p = verb("train", cmd_train, "fine-tune the models of the ft and hybrid variants")
    p.add_argument("--method", choices=tuple(METHODS), help="default: training.method (lora)")
    p.add_argument("--variant", choices=[*trained(), "all"], help="which model (default: all the method trains)")
    p.add_argument("--resume", action="store_true", help="continue a killed run from its last checkpoint")
    p.add_argument("--launcher", choices=["none", "accelerate"],
                   help="accelerate: train data-parallel under `accelerate launch` (default: training.launcher)")
    p.add_argument("--num-processes", type=int, metavar="N",
                   help="processes under the launcher (default: training.num_processes, else the Accelerate config's)")
    overridable(p)

    p = verb("export", cmd_export, "write a trained model to a folder other servers can load")
    p.add_argument("out", help="new folder for the model")
    p.add_argument("--variant", default=DEFAULT_TRAINED, choices=trained())
    p.add_argument("--merge", action="store_true", help="fold a LoRA adapter into the weights (standalone model)")

    p = verb("kb", cmd_kb, "knowledge-base versions: list them or roll back")
    p.add_argument("action", choices=["versions", "rollback"])
    p.add_argument("version", nargs="?", type=int)

    p = verb("migrate", cmd_migrate, "copy the knowledge base to another store (versions and labels included)")
    p.add_argument("--to", required=True, choices=["lancedb", "pgvector"], help="the target store's backend")
    p.add_argument("--path", metavar="FOLDER", help="lancedb: the target folder, relative to the project")
    p.add_argument("--url", metavar="URL|env:NAME", help="pgvector: a postgresql:// URL, or env:NAME to read it")
    p.add_argument("--pg-schema", metavar="NAME", help="pgvector: the target schema (default: ragtune_<folder>)")
    p.add_argument("--replace", action="store_true", help="delete a knowledge base already in the target first")
    p.add_argument("--switch", action="store_true", help="then make ragtune.yaml use the target store")

    p = verb("compare", cmd_compare, "measure base, rag, ft and hybrid side by side on the held-out questions")
    p.add_argument("--variants", help="comma-separated subset, e.g. rag,ft (default: evaluation.variants)")
    p.add_argument("--arm", action="append", metavar="NAME=VARIANT[:KEY=VALUE,...]",
                   help="an extra configuration to compare, e.g. rag-k2=rag:retrieval.k=2")
    p.add_argument("--freshness", action="store_true",
                   help="also apply the document update (evaluation.freshness.update) and re-ask without retraining")
    p.add_argument("--limit", type=int, help="a seeded sample of this many test questions")
    p.add_argument("--no-train", action="store_true", help="fail instead of training missing models")
    p.add_argument("--tasks", help="comma-separated tasks to evaluate (default: every task of tasks:)")
    p.add_argument("--no-tasks", action="store_true", help="evaluate the questions only, no tasks")
    p.add_argument("--json", action="store_true", help="print results.json instead of the summary")
    engine_flags(p, "evaluation", "where the answers are generated (ray: on actors that each hold the model)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="with --engine ray: how many actors answer (default: evaluation.ray_workers; one per GPU, "
                        "else per CPU)")
    overridable(p)

    p = verb("report", cmd_report, "render a run's report.html again", project=False)
    p.add_argument("run", help="run folder, e.g. myproject/runs/20261121-153000")
    p.add_argument("--open", action="store_true", help="open it in the web browser")

    p = verb("recommend", cmd_recommend, "recommend rag, ft, hybrid or base from a run and your constraints")
    p.add_argument("--run", help="run folder (default: the project's latest)")
    p.add_argument("--ask", action=argparse.BooleanOptionalAction, default=None,
                   help="ask for the constraints left unknown in ragtune.yaml (default: when run in a terminal)")
    p.add_argument("--no-save", action="store_true", help="print only; keep the run's saved recommendation")
    overridable(p)

    p = verb("serve", cmd_serve, "serve the variants as an OpenAI-compatible API (needs ragtune[serve])")
    ServeOptions.add_arguments(p)
    overridable(p)

    verb("config-schema", cmd_config_schema, "print the JSON schema of ragtune.yaml", project=False)
    verb("results-schema", cmd_results_schema, "print the JSON schema of a run's results.json and samples.jsonl",
         project=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (2 for errors the user can fix)."""
    args = _parser().parse_args(argv)
    if args.no_progress:
        from ragtune.progress import set_progress

        set_progress(False)
    from ragtune.errors import RagtuneError

    try:
        args.func(args)
    except RagtuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
