"""`ragtune data build`: the training data of every variant, as JSONL files to inspect before training.

Writes under ``data/``: ``sft.jsonl`` (question/answer chat rows plus paraphrases, for the ft variant),
``raft.jsonl`` (retrieved chunks + question -> cited answer, for the hybrid variant), ``cpt.jsonl`` (the
knowledge base's chunks as text, for continued pretraining) and ``build.json`` (what was built and removed).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune import atomic
from ragtune.data.leakage import LeakageGuard
from ragtune.data.paraphrase import model_paraphrases, template_paraphrases
from ragtune.data.questions import QAPair, find_question_file, load_questions
from ragtune.data.raft import raft_rows, retrieve_pool
from ragtune.errors import InputError
from ragtune.generate import prompt
from ragtune.index.manifest import KBRef
from ragtune.index.store.base import Hit
from ragtune.progress import label, note
from ragtune.project import Project

if TYPE_CHECKING:
    from ragtune.index.kb import KnowledgeBase
    from ragtune.index.retrieve import Retriever


@dataclass
class BuildReport:
    """What ``build_data`` wrote and removed, with the reasons; ``data/build.json`` holds every field but the
    folder, in this order. ``trained_questions``: the train split's questions (question set and synthetic,
    paraphrases not counted); None for a report that does not say. ``kb``: the knowledge-base version the data was
    built from (None: it was empty)."""

    folder: Path
    questions: int = 0
    synthetic: int = 0
    paraphrases: int = 0
    template_fills: int = 0
    trained_questions: int | None = None
    task_rows: dict[str, int] = field(default_factory=dict)  # task -> its train rows in sft.jsonl and raft.jsonl
    sft_train: int = 0
    sft_dev: int = 0
    raft: int = 0
    cpt: int = 0
    removed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kb: KBRef | None = None
    seconds: float = 0.0
    created: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # the data: section it was built with
    train_file: str | None = None
    test_file: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], folder: Path) -> BuildReport:
        """Read build.json's object (a key added since gets its default); a ValueError or TypeError for one that
        does not read."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a JSON object was expected, not {type(data).__name__}")
        known = {f.name for f in fields(cls)} - {"folder", "kb"}
        report = cls(folder, **{k: v for k, v in data.items() if k in known}, kb=KBRef.from_dict(data.get("kb")))
        if report.trained_questions is not None:
            report.trained_questions = int(report.trained_questions)
        elif "questions" in data:  # written before the count was
            report.trained_questions = int(data["questions"]) + int(data.get("synthetic") or 0)
        return report

    def to_dict(self) -> dict[str, Any]:
        """What build.json holds: every field but the folder."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "folder"}
        out["kb"] = self.kb.to_dict() if self.kb else {}
        if not self.task_rows:  # a project without tasks writes build.json as before them
            del out["task_rows"]
        return out

    def lines(self) -> list[str]:
        """A human summary."""
        out = [f"training data in {self.folder} ({self.seconds:.1f} s)",
               f"  questions: {self.questions} from the question set, {self.synthetic} synthetic, "
               f"{self.paraphrases} paraphrases" + (f" ({self.template_fills} from templates)"
                                                   if self.template_fills else ""),
               f"  sft.jsonl: {self.sft_train} train + {self.sft_dev} dev rows; raft.jsonl: {self.raft} rows; "
               f"cpt.jsonl: {self.cpt} chunks"]
        if self.task_rows:
            out.append("  task rows (in sft.jsonl and raft.jsonl): "
                       + ", ".join(f"{name} {n}" for name, n in self.task_rows.items()))
        if self.kb:
            out.append(f"  built from knowledge-base version {self.kb.version}")
        out.append(f"  leakage guard: removed {len(self.removed)} rows too close to a test question")
        out += [f"    {r['id']}: {r['question']!r} ~ test {r['test_question']!r} ({r['similarity']:.2f})"
                for r in self.removed[:10]]
        if len(self.removed) > 10:
            out.append(f"    … {len(self.removed) - 10} more in build.json")
        out += [f"  skipped {s}" for s in self.skipped]
        out += [f"  warning: {w}" for w in self.warnings]
        return out


def question_file(project: Project, value: str) -> Path | None:
    """A configured question path: the file itself, or ``value`` + .jsonl/.json/.csv."""
    path = project.path(value)
    if path.is_file():
        return path
    return find_question_file(path.parent, path.name)


def _current_chunks(kb: KnowledgeBase) -> list[Hit]:
    ids = sorted(kb.store.ids())
    chunks = kb.store.get(ids) if ids else []
    return [Hit(c, 1.0) for c in sorted(chunks, key=lambda c: (c.source, c.position))]


def _chat_row(pair: QAPair, split: str) -> dict[str, Any]:
    answer = pair.answer.strip() if pair.answerable and pair.answer.strip() else prompt.IDK
    messages = prompt.base_messages(pair.question) + [{"role": "assistant", "content": answer}]
    return {"id": pair.id, "split": split, "origin": pair.origin, "fact": pair.fact or pair.id, "messages": messages}


def _dev_ids(pairs: list[QAPair], paraphrases: list[QAPair], share: float, seed: int) -> tuple[set[str], str | None]:
    """Hold out about ``share`` of the paraphrases for the dev split; returns their ids and a warning when none
    could be held out.

    Every held-out fact stays in training: its question always does, and of two or more paraphrases at least one.
    With one paraphrase per question (``data.paraphrases: 1``) that one may be held out, at least one when
    ``share`` > 0; without paraphrases, questions that share a fact with another question are held out.
    """
    if share <= 0 or not pairs:
        return set(), None
    by_parent: dict[str, list[QAPair]] = {}
    for p in paraphrases:
        by_parent.setdefault(p.parent or p.id, []).append(p)
    rng = random.Random(f"{seed}:dev")
    dev: set[str] = set()
    for group in by_parent.values():
        take = int(len(group) * share + rng.random())  # expected share, rounded at random
        dev.update(p.id for p in rng.sample(group, min(take, max(1, len(group) - 1))))
    if not dev and by_parent:  # few questions with one paraphrase each: hold out one paraphrase
        dev.add(rng.choice(sorted(p.id for group in by_parent.values() for p in group)))
    if not dev:  # no paraphrases: questions whose fact another question also trains
        by_fact: dict[str, list[QAPair]] = {}
        for q in pairs:
            by_fact.setdefault(q.fact or q.id, []).append(q)
        shared = [group for group in by_fact.values() if len(group) > 1]
        target = max(1, round(share * len(pairs)))
        for group in rng.sample(shared, len(shared)):
            if len(dev) >= target:
                break
            dev.add(rng.choice(group).id)
    if dev:
        return dev, None
    return dev, ("no dev split: there are no paraphrases (data.paraphrases is 0, or the leakage guard removed them) "
                 "and no two questions share a fact, so nothing can be held out without leaving a fact untrained; "
                 "training runs without a dev loss (no early stopping, no best checkpoint): set data.paraphrases "
                 "to 1 or more")


def read_build_report(project: Project) -> BuildReport | None:
    """What the last ``data build`` wrote to data/build.json (None when the data was never built); an InputError
    for a file that does not read."""
    path = project.build_report
    if not path.is_file():
        return None
    try:
        return BuildReport.from_dict(json.loads(path.read_text(encoding="utf-8")), project.data_dir)
    except (ValueError, TypeError, AttributeError) as exc:  # JSONDecodeError, UnicodeDecodeError: ValueErrors
        raise InputError(f"{path} does not read ({type(exc).__name__}: {exc}): run `ragtune data build` "
                         "again") from None


def build_data(project: Project, kb: KnowledgeBase | None = None) -> BuildReport:
    """Build sft/raft/cpt rows from the question set (or synthetic QA), the tasks' train rows and the knowledge
    base (``kb``: one a caller has open already)."""
    from ragtune.index.kb import KnowledgeBase

    started = time.perf_counter()
    cfg = project.config.data
    folder = project.data_dir
    report = BuildReport(folder)
    kb = kb or KnowledgeBase(project)
    head = kb.manifest()
    chunks = _current_chunks(kb) if head else []
    if head:
        report.kb = head.ref()
    else:
        report.warnings.append("the knowledge base is empty (run `ragtune ingest`): no RAFT or continued-"
                               "pretraining rows, and no synthetic questions")
    train_path, test_path = question_file(project, cfg.train), question_file(project, cfg.test)
    pairs = load_questions(train_path) if train_path else []
    test = load_questions(test_path) if test_path else []
    if not test:
        report.warnings.append(f"no test questions at {cfg.test}(.jsonl/.json/.csv): nothing to evaluate on, and "
                               "the leakage guard has nothing to keep out")
    report.questions = len(pairs)
    generator = None

    def gen():
        nonlocal generator
        if generator is None:
            from ragtune.generate import load_generator

            generator = load_generator(project.config.generation)
        return generator

    synthetic_mode = cfg.synthetic if cfg.synthetic != "auto" else ("model" if not pairs else "off")
    if synthetic_mode != "off" and chunks:
        from ragtune.data.synthetic import model_qa, template_qa

        made = []
        if synthetic_mode == "model":
            note(f"synthetic QA: the generation model writes questions ({cfg.synthetic_per_chunk} at most) for each "
                 f"of {len(chunks)} chunks (an estimate of the time follows the first batch)")
            with label("synthetic QA"):
                made = model_qa(gen(), [h.chunk for h in chunks], cfg.synthetic_per_chunk)
        if synthetic_mode == "template" or not made:
            if synthetic_mode == "model":
                report.warnings.append("the generation model wrote no usable synthetic questions; used the template "
                                       "fallback (configure a stronger generation model for better ones)")
            made = template_qa([h.chunk for h in chunks], cfg.synthetic_per_chunk)
        pairs += made
        report.synthetic = len(made)
    if not pairs:
        raise InputError(f"no training questions: put them in {project.path(cfg.train)}.jsonl (or .csv: question, "
                         "answer, source), or ingest documents and set data.synthetic: model")
    from ragtune.tasks.load import load_tasks
    from ragtune.tasks.training import test_inputs

    tasks = load_tasks(project)
    # one guard for every row: no question or task row may copy a test question or a task's test input
    guard = LeakageGuard([*(t.question for t in test), *test_inputs(tasks)], cfg.leakage_threshold)
    pairs, removed = guard.filter(pairs)
    report.removed += removed
    titles = {h.chunk.source: h.chunk.title for h in chunks}
    if cfg.paraphrases and cfg.paraphraser == "model":
        note(f"paraphrases: the generation model rewords {len(pairs)} questions {cfg.paraphrases} times each")
        with label("paraphrases"):
            paraphrases, report.template_fills = model_paraphrases(gen(), pairs, cfg.paraphrases, cfg.seed,
                                                                   titles=titles)
    else:
        paraphrases = [p for pair in pairs for p in template_paraphrases(pair, cfg.paraphrases, cfg.seed, titles)]
    paraphrases, removed = guard.filter(paraphrases)
    report.removed += removed
    report.paraphrases = len(paraphrases)
    dev, no_dev = _dev_ids(pairs, paraphrases, cfg.dev_share, cfg.seed)
    if no_dev:
        report.warnings.append(no_dev)
    sft = [_chat_row(p, "dev" if p.id in dev else "train") for p in [*pairs, *paraphrases]]
    report.sft_train = sum(r["split"] == "train" for r in sft)
    report.trained_questions = sum(p.id not in dev for p in pairs)
    report.sft_dev = len(sft) - report.sft_train
    raft: list[dict[str, Any]] = []
    if chunks:
        from ragtune.index.retrieve import Retriever

        retriever = Retriever(kb.store, kb.embedder, project.config.retrieval)  # RAFT rows and task rows share it
        raft = _raft(project, retriever, pairs, paraphrases, dev, chunks, report)
    cpt = [{"id": h.chunk.id, "split": "train", "source": h.chunk.source, "text": h.chunk.embed_text}
           for h in chunks]
    if tasks:  # task rows train the ft and hybrid adapters too (hybrid's with the chunks it will read)
        from ragtune.tasks.training import task_rows

        search = retriever.search_many if chunks else None
        made = task_rows(tasks, guard, cfg.dev_share, cfg.seed, cfg.task_rows, search)
        sft += made.rows
        raft += made.with_sources if search is not None else made.rows  # hybrid reads retrieved chunks
        report.task_rows, report.removed = made.counts, report.removed + made.removed
        report.sft_train = sum(r["split"] == "train" for r in sft)
        report.sft_dev = len(sft) - report.sft_train
    report.raft, report.cpt = len(raft), len(cpt)
    folder.mkdir(parents=True, exist_ok=True)
    atomic.write_jsonl(project.data_file("sft"), sft, ensure_ascii=False)
    atomic.write_jsonl(project.data_file("raft"), raft, ensure_ascii=False)
    atomic.write_jsonl(project.data_file("cpt"), cpt, ensure_ascii=False)
    report.seconds = round(time.perf_counter() - started, 2)
    report.created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    report.settings = cfg.model_dump()
    report.train_file, report.test_file = str(train_path) if train_path else None, str(test_path) if test_path else None
    atomic.write_json(project.build_report, report.to_dict(), indent=2, ensure_ascii=False)
    return report


def _raft(project: Project, retriever: Retriever, pairs: list[QAPair], paraphrases: list[QAPair], dev: set[str],
          chunks: list[Hit], report: BuildReport) -> list[dict[str, Any]]:
    """RAFT rows for the question set and its first ``raft_paraphrases`` paraphrases (gold answers kept)."""
    cfg = project.config.data
    originals = {p.id: p for p in pairs}
    chosen = list(pairs)
    per_parent: dict[str, int] = {}
    for p in paraphrases:
        parent = originals.get(p.parent or "")
        if parent is None or per_parent.get(parent.id, 0) >= cfg.raft_paraphrases:
            continue
        per_parent[parent.id] = per_parent.get(parent.id, 0) + 1
        chosen.append(QAPair(p.id, p.question, parent.answer, parent.aliases, parent.source, parent.answerable,
                             parent.fact, parent.kind, "paraphrase", parent.id))
    by_source: dict[str, list[Hit]] = {}
    for h in chunks:
        by_source.setdefault(h.chunk.source, []).append(h)
    rows, skipped = raft_rows(chosen, retrieve_pool(retriever, chosen), by_source, cfg.raft_distractors,
                              cfg.raft_gold_share, cfg.seed)
    report.skipped += [f"RAFT row {s}" for s in skipped]
    return [row.to_dict("dev" if row.pair.id in dev else "train") for row in rows]
