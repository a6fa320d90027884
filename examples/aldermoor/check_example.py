#!/usr/bin/env python3
"""Validate the bundled Aldermoor example.

Loads every document (Markdown, text, HTML, PDF, DOCX), the question sets and
the "v2" update, and asserts the properties the rest of ragtune relies on:

* document counts per format, word counts, PDF page count, DOCX headings/tables;
* question counts per split and kind, unique ids, well-formed records;
* every answerable gold answer (or one of its aliases) occurs verbatim
  (case-insensitive, whitespace-normalised) in the extracted text of its source;
* v2: changed/added/removed documents, every ``new_answer`` occurs in the v2
  version of its source and every ``old_answer`` no longer does, and unchanged
  facts in changed documents are still stated;
* tasks (tasks/ and tasks.yaml): row counts, labels and their balance, expected
  objects valid against the schema, replies that pass the house-style rules,
  quiz answers stated in their source document, no input repeated within or
  across splits, no test input close to a train input, and that ragtune loads
  them.

The documents and questions need only the standard library, pypdf and
python-docx; the tasks section also needs PyYAML, jsonschema and ragtune itself
(run it with the project's virtual environment).

    python examples/aldermoor/check_example.py            # check and print a summary
    python examples/aldermoor/check_example.py --verbose  # also list answers that occur in other documents
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "documents"
QUESTIONS = HERE / "questions"
UPDATE = HERE / "update_v2"
TASKS = HERE / "tasks"
TASKS_YAML = HERE / "tasks.yaml"
FORMATS = (".md", ".txt", ".html", ".pdf", ".docx")

# Minimums the example promises (see README.md).
MIN_DOCS = 28
MIN_WORDS = 16_000
MIN_PER_FORMAT = {".txt": 3, ".html": 3, ".pdf": 3, ".docx": 3}
DOC_WORDS = (400, 900)
MIN_FACTS = 110
MIN_PARAPHRASE_FACTS = 80
MIN_TEST_ONLY_FACTS = 20
MIN_UNANSWERABLE_TEST = 25
MIN_UNANSWERABLE_TRAIN = 8
MIN_QUESTIONS = 220
MIN_V2_CHANGED_DOCS = 6
MIN_V2_CHANGED_FORMATS = 3
MIN_V2_QUESTIONS = 32
MIN_V2_CHANGED_WITH_TRAIN = 26

KINDS = {"paraphrase", "test_only", "unanswerable"}
V2_KINDS = {"changed", "added", "removed"}

# Tasks (see README.md, "Tasks").
TASK_KINDS = {"route_ticket": "classify", "rma_extract": "extract", "reply_style": "generate", "policy_quiz": "choice"}
MIN_TASK_ROWS = {  # (train, test)
    "route_ticket": (120, 60),
    "rma_extract": (120, 60),
    "reply_style": (120, 60),
    "policy_quiz": (60, 60),
}
MAX_LABEL_SHARE = 1.6  # largest / smallest label count in a split
MAX_VERBATIM_SHARE = 0.10  # rows whose input contains its own label / product / fault verbatim
MAX_NEAREST_JACCARD = 0.8  # word-set overlap of any test input with its nearest train input
QUIZ_FORMATS = (".md", ".txt", ".html")  # quiz facts come from documents whose text is read without a parser


# ---------------------------------------------------------------- extraction


class _HTMLText(HTMLParser):
    """Visible text of an HTML page without scripts, styles and page chrome."""

    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "template"}
    BLOCK = {
        "p",
        "div",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "title",
        "table",
        "ul",
        "ol",
        "section",
        "main",
        "article",
        "br",
        "caption",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(data)


def extract_text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".md", ".txt"):
        return path.read_text(encoding="utf-8")
    if suffix == ".html":
        parser = _HTMLText()
        parser.feed(path.read_text(encoding="utf-8"))
        return "".join(parser.parts)
    if suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                parts.append(" | ".join(cell.text for cell in row.cells))
        return "\n".join(parts)
    raise ValueError(f"unsupported format: {path}")


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def words(text: str) -> int:
    return len(text.split())


def load_corpus(root: Path) -> dict[str, Path]:
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix.lower() in FORMATS
    }


def load_jsonl(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: invalid JSON: {exc}") from exc
    return rows


# ---------------------------------------------------------------- checking


class Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.errors.append(message)
        return ok

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def contains(text_norm: str, answer: str) -> bool:
    """True if the normalised answer occurs in the normalised text as a whole token sequence.

    "2 seconds" must not match inside "12 seconds", nor "400" inside "1400".
    """
    needle = norm(answer)
    if not needle:
        return False
    left = r"(?<![0-9a-z])" if needle[0].isalnum() else ""
    right = r"(?![0-9a-z])" if needle[-1].isalnum() else ""
    return re.search(left + re.escape(needle) + right, text_norm) is not None


def found(answer_forms: list[str], text_norm: str) -> bool:
    return any(form and contains(text_norm, form) for form in answer_forms)


def content_words(question: str) -> set[str]:
    stop = {
        "the",
        "a",
        "an",
        "of",
        "on",
        "in",
        "for",
        "to",
        "is",
        "are",
        "what",
        "how",
        "does",
        "do",
        "which",
        "at",
        "by",
        "and",
        "or",
        "with",
        "it",
        "its",
        "be",
        "can",
        "that",
        "this",
    }
    return {w for w in re.findall(r"[a-z0-9]+", question.lower()) if w not in stop}


# ---------------------------------------------------------------- tasks


def word_set(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, len(a | b))


def verbatim(term: str, text: str) -> bool:
    """``term`` (hyphens read as hyphen or space, an optional plural s) occurs in ``text`` as whole words."""
    words_ = [re.escape(w) for w in re.split(r"[-\s]+", term.lower()) if w]
    pattern = r"(?<![0-9a-z])" + r"[-\s]+".join(words_) + r"s?(?![0-9a-z])"
    return re.search(pattern, text.lower()) is not None


def _ragtune():
    """Import ragtune, from the repository's src/ when it is not installed."""
    try:
        import ragtune  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(HERE.parents[1] / "src"))


def check_tasks(c: Checker, corpus: dict[str, Path], ntexts: dict[str, str], questions: list[str]) -> list[str]:
    """Check tasks/ and tasks.yaml; returns the summary lines."""
    import jsonschema
    import yaml

    _ragtune()
    from ragtune.config import TaskConfig
    from ragtune.tasks.rules import Rules, check

    lines = ["tasks:"]
    if not c.check(TASKS_YAML.is_file() and TASKS.is_dir(), "tasks.yaml or tasks/ is missing"):
        return lines
    section = yaml.safe_load(TASKS_YAML.read_text(encoding="utf-8"))
    c.check(isinstance(section, dict) and list(section) == ["tasks"], "tasks.yaml must hold only a tasks: section")
    configs = {}
    for name, raw in (section or {}).get("tasks", {}).items():
        try:
            configs[name] = TaskConfig.model_validate(raw)
        except Exception as exc:  # pydantic's ValidationError
            c.check(False, f"tasks.yaml: tasks.{name} is invalid: {exc}")
    c.check(set(configs) == set(TASK_KINDS), f"tasks.yaml lists {sorted(configs)}, expected {sorted(TASK_KINDS)}")

    # The files are what the generator writes (it is seeded).
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_tasks", TASKS / "build_tasks.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)

    for name, kind in TASK_KINDS.items():
        config = configs.get(name)
        if not c.check(config is not None and config.kind == kind, f"task {name} must be of kind {kind}"):
            continue
        folder = TASKS / name
        splits = {split: load_jsonl(folder / f"{split}.jsonl") for split in ("train", "test")
                  if (folder / f"{split}.jsonl").is_file()}
        if not c.check(set(splits) == {"train", "test"}, f"tasks/{name}: needs train.jsonl and test.jsonl"):
            continue
        c.check(builder.TASK_BUILDERS[name]() == splits, f"tasks/{name}: files differ from what build_tasks.py writes")
        n_train, n_test = len(splits["train"]), len(splits["test"])
        need_train, need_test = MIN_TASK_ROWS[name]
        c.check(n_train >= need_train, f"tasks/{name}: only {n_train} train rows (need {need_train})")
        c.check(n_test >= need_test, f"tasks/{name}: only {n_test} test rows (need {need_test})")

        # Ids and inputs: unique within and across splits; no test input close to a train input.
        rows = [(split, row) for split, rs in splits.items() for row in rs]
        for rid, n in Counter(row.get("id") for _, row in rows).items():
            c.check(n == 1, f"tasks/{name}: id {rid!r} used {n} times")
        inputs = Counter(norm(row.get("input", "")) for _, row in rows)
        for text, n in inputs.items():
            c.check(bool(text), f"tasks/{name}: a row has no input")
            c.check(n == 1, f"tasks/{name}: input used {n} times: {text[:60]!r}")
        train_sets = [word_set(row["input"]) for row in splits["train"]]
        nearest = [max(jaccard(word_set(row["input"]), t) for t in train_sets) for row in splits["test"]]
        worst = max(nearest)
        c.check(worst < MAX_NEAREST_JACCARD,
                f"tasks/{name}: a test input is {worst:.2f} similar to a train input (max {MAX_NEAREST_JACCARD})")
        overlap = f"nearest train input: max Jaccard {worst:.2f}, mean {sum(nearest) / len(nearest):.2f}"

        if kind == "classify":
            lines.append(f"  {name} (classify): {n_train} train, {n_test} test; {overlap}")
            labels = config.labels
            leaks = 0
            for split, rs in splits.items():
                counts = Counter(row.get("expected") for row in rs)
                for label in counts:
                    c.check(label in labels, f"tasks/{name}: {split} label {label!r} is not in {labels}")
                c.check(set(labels) <= set(counts), f"tasks/{name}: {split} lacks labels {set(labels) - set(counts)}")
                present = [counts[label] for label in labels if counts[label]]
                if present:
                    c.check(max(present) / min(present) <= MAX_LABEL_SHARE,
                            f"tasks/{name}: {split} labels are unbalanced {dict(counts)}")
                leaks += sum(verbatim(row["expected"], row["input"]) for row in rs)
                lines.append(f"    {split} labels: " + ", ".join(f"{label} {counts[label]}" for label in labels))
            share = leaks / (n_train + n_test)
            c.check(share < MAX_VERBATIM_SHARE, f"tasks/{name}: {share:.0%} of tickets contain their label verbatim")
            lines.append(f"    tickets containing their label verbatim: {leaks} ({share:.1%})")

        elif kind == "extract":
            schema_path = folder / str(config.json_schema)
            schema = json.loads(schema_path.read_text(encoding="utf-8"))
            validator_cls = jsonschema.validators.validator_for(schema)
            validator_cls.check_schema(schema)
            c.check(schema.get("$schema", "").endswith("/2020-12/schema"), f"{schema_path.name}: not draft 2020-12")
            c.check(schema.get("additionalProperties") is False, f"{schema_path.name}: additionalProperties not false")
            validator = validator_cls(schema)
            leaks = Counter()
            faults, products = Counter(), Counter()
            for rs in splits.values():
                for row in rs:
                    exp, text = row.get("expected"), row["input"]
                    errors = list(validator.iter_errors(exp))
                    if not c.check(not errors, f"{row['id']}: expected fails the schema: "
                                               f"{errors[0].message if errors else ''}"):
                        continue
                    products[exp["product"]] += 1
                    faults[exp["fault"]] += 1
                    leaks["product"] += verbatim(exp["product"], text)
                    leaks["fault"] += verbatim(exp["fault"], text)
                    # The serial is in the e-mail, whatever its spacing and case.
                    squeezed = re.sub(r"[\s\-]", "", text.upper())
                    c.check(exp["serial"].replace("-", "") in squeezed, f"{row['id']}: serial not in the e-mail")
                    try:
                        bought = datetime.date.fromisoformat(exp["purchase_date"])
                    except ValueError:
                        c.check(False, f"{row['id']}: purchase_date is not a calendar date")
                        continue
                    c.check(str(bought.year) in text, f"{row['id']}: purchase year not in the e-mail")
            total = n_train + n_test
            for key in ("product", "fault"):
                c.check(leaks[key] / total < MAX_VERBATIM_SHARE,
                        f"tasks/{name}: {leaks[key] / total:.0%} of e-mails name their {key} value verbatim")
            lines.append(f"  {name} (extract): {n_train} train, {n_test} test, all valid against "
                         f"{schema_path.name}; {overlap}")
            lines.append("    faults: " + ", ".join(f"{k} {v}" for k, v in sorted(faults.items())))
            lines.append("    products: " + ", ".join(f"{k} {v}" for k, v in sorted(products.items())))
            lines.append(f"    e-mails naming the product value verbatim: {leaks['product']} "
                         f"({leaks['product'] / total:.1%}), the fault value: {leaks['fault']} "
                         f"({leaks['fault'] / total:.1%})")

        elif kind == "generate":
            lengths = []
            for rs in splits.values():
                for row in rs:
                    found_ = re.match(r"Ticket (AL-\d{5}) · Customer: (\S+) .+ · Message: .+", row["input"], re.S)
                    if not c.check(found_ is not None, f"{row['id']}: input is not 'Ticket AL-nnnnn · Customer: "
                                                       f"... · Message: ...'"):
                        continue
                    ticket, first = found_.groups()
                    own = row.get("constraints") or {}
                    c.check(own == {"must_include": [ticket], "starts_with": f"Hello {first},"},
                            f"{row['id']}: constraints must name the row's ticket and first name")
                    rules = config.rules.merged(Rules.model_validate(own))
                    result = check(row["expected"], rules)
                    failed = [rule for rule, (strict, _) in result["rules"].items() if not strict]
                    c.check(result["strict"], f"{row['id']}: expected reply breaks {failed}")
                    c.check(f"Ticket {ticket}" in row["expected"], f"{row['id']}: reply does not say 'Ticket {ticket}'")
                    lengths.append(len(row["expected"].split()))
            lines.append(f"  {name} (generate): {n_train} train, {n_test} test; every expected reply passes the "
                         f"rules; {min(lengths)}-{max(lengths)} words (mean {sum(lengths) / len(lengths):.0f}); "
                         f"{overlap}")

        else:  # choice
            question_sets = [word_set(q) for q in questions]
            known = {norm(q) for q in questions}
            closest = 0.0
            for split, rs in splits.items():
                positions = Counter()
                for row in rs:
                    options, answer, src = row.get("choices") or [], row.get("answer"), row.get("source")
                    if not c.check(len(options) == 4 and isinstance(answer, int) and 0 <= answer < 4,
                                   f"{row['id']}: needs 4 choices and an answer index 0-3"):
                        continue
                    positions[answer] += 1
                    c.check(row.get("expected") == options[answer], f"{row['id']}: expected is not the answer's text")
                    nopts = [norm(o) for o in options]
                    c.check(len(set(nopts)) == 4, f"{row['id']}: repeated option")
                    for i, a in enumerate(nopts):
                        for j, b in enumerate(nopts):
                            c.check(i == j or a not in b, f"{row['id']}: option {a!r} is inside option {b!r}")
                    if c.check(src in corpus and Path(src).suffix in QUIZ_FORMATS,
                               f"{row['id']}: source {src!r} is not a .md/.txt/.html document"):
                        c.check(contains(ntexts[src], options[answer]),
                                f"{row['id']}: answer {options[answer]!r} not found in {src}")
                    c.check(norm(row["input"]) not in known, f"{row['id']}: same wording as a question in questions/")
                    closest = max(closest, max(jaccard(word_set(row["input"]), q) for q in question_sets))
                spread = max(positions.values()) - min(positions.values()) if positions else 0
                c.check(len(positions) == 4 and spread <= 1, f"tasks/{name}: {split} answer positions unbalanced "
                                                             f"{dict(sorted(positions.items()))}")
                lines.append(f"    {split} answer positions: {dict(sorted(positions.items()))}")
            sources = Counter(row.get("source") for rs in splits.values() for row in rs)
            lines.insert(len(lines) - 2, f"  {name} (choice): {n_train} train, {n_test} test, facts from "
                                         f"{len(sources)} documents, every answer found in its source; {overlap}; "
                                         f"closest question in questions/: Jaccard {closest:.2f}")

    # ragtune loads them: a project made from the example, with the tasks added as the README describes.
    import shutil
    import tempfile

    from ragtune.project import Project, init_project
    from ragtune.tasks.load import load_tasks

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "aldermoor"
        init_project(root, example=HERE)
        if not (root / "tasks").is_dir():
            shutil.copytree(TASKS, root / "tasks", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        if not Project.load(root).config.tasks:
            config_file = root / "ragtune.yaml"
            text = config_file.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
            config_file.write_text(text + TASKS_YAML.read_text(encoding="utf-8"), encoding="utf-8")
        try:
            loaded = load_tasks(Project.load(root))
        except Exception as exc:  # InputError or a config error, with ragtune's own message
            c.check(False, f"ragtune cannot load the tasks: {exc}")
        else:
            c.check([t.name for t in loaded] == list(TASK_KINDS), "ragtune loaded other tasks than tasks.yaml lists")
            lines.append("  ragtune loads every task: " + ", ".join(
                f"{t.name} {len(t.train)}+{len(t.test)}" for t in loaded))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description="Validate the Aldermoor example.")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="list gold answers that also occur in documents other than their source",
    )
    args = parser.parse_args()
    c = Checker()

    # ------------------------------------------------------------ documents
    corpus = load_corpus(DOCS)
    texts = {rel: extract_text(p) for rel, p in corpus.items()}
    ntexts = {rel: norm(t) for rel, t in texts.items()}
    per_format = Counter(Path(rel).suffix for rel in corpus)
    total_words = sum(words(t) for t in texts.values())

    c.check(len(corpus) >= MIN_DOCS, f"only {len(corpus)} documents (need {MIN_DOCS})")
    c.check(total_words >= MIN_WORDS, f"only {total_words} words (need {MIN_WORDS})")
    for fmt, need in MIN_PER_FORMAT.items():
        c.check(per_format[fmt] >= need, f"only {per_format[fmt]} {fmt} documents (need {need})")
    for rel, text in texts.items():
        n = words(text)
        c.check(DOC_WORDS[0] <= n <= DOC_WORDS[1], f"{rel}: {n} words, outside {DOC_WORDS}")
        c.check("/" in rel, f"{rel}: documents must be in a sub-folder")

    from pypdf import PdfReader

    pdf_pages = {rel: len(PdfReader(str(p)).pages) for rel, p in corpus.items() if rel.endswith(".pdf")}
    c.check(any(n >= 3 for n in pdf_pages.values()), "no PDF with at least 3 pages")

    import docx

    docx_with_table = 0
    for rel, p in corpus.items():
        if rel.endswith(".docx"):
            d = docx.Document(str(p))
            styles = {para.style.name for para in d.paragraphs}
            c.check({"Heading 1", "Heading 2"} <= styles, f"{rel}: needs Heading 1 and Heading 2 styles")
            docx_with_table += bool(d.tables)
    c.check(docx_with_table >= 1, "no DOCX document with a table")

    for rel, p in corpus.items():
        if rel.endswith(".html"):
            raw = p.read_text(encoding="utf-8").lower()
            for tag in ("<title>", "<h1", "<h2", "<p", "<ul", "<table"):
                c.check(tag in raw, f"{rel}: missing {tag}")
            c.check(any(t in raw for t in ("<nav", "<script", "<footer")), f"{rel}: no page chrome")
            c.check(
                "datalayer" not in ntexts[rel] and "function" not in ntexts[rel],
                f"{rel}: script text leaked into extracted text",
            )

    # ------------------------------------------------------------ questions
    splits = {name: load_jsonl(QUESTIONS / f"{name}.jsonl") for name in ("train", "test")}
    all_q = [(name, q) for name, rows in splits.items() for q in rows]
    ids = Counter(q.get("id") for _, q in all_q)
    for qid, n in ids.items():
        c.check(n == 1, f"question id {qid} used {n} times")

    required = {"id", "question", "answer", "aliases", "source", "answerable", "fact", "kind"}
    facts_by_split: dict[str, dict[str, list[dict]]] = {"train": defaultdict(list), "test": defaultdict(list)}
    fact_answer: dict[str, str] = {}
    unanswerable_texts = Counter()
    for split, q in all_q:
        qid = q.get("id")
        missing = required - q.keys()
        if not c.check(not missing, f"{qid}: missing fields {sorted(missing)}"):
            continue
        c.check(q["kind"] in KINDS, f"{qid}: unknown kind {q['kind']!r}")
        c.check(isinstance(q["aliases"], list), f"{qid}: aliases must be a list")
        c.check(q["question"].strip().endswith("?"), f"{qid}: question should end with '?'")
        if q["kind"] == "unanswerable":
            c.check(
                q["answerable"] is False and q["answer"] == "" and q["source"] is None,
                f"{qid}: unanswerable questions need answerable=false, answer='' and source=null",
            )
            unanswerable_texts[norm(q["question"])] += 1
            continue
        c.check(q["answerable"] is True, f"{qid}: answerable must be true for kind {q['kind']}")
        c.check(bool(q["answer"]), f"{qid}: empty answer")
        c.check(len(q["answer"].split()) <= 8, f"{qid}: answer is not short: {q['answer']!r}")
        facts_by_split[split][q["fact"]].append(q)
        if q["fact"] in fact_answer:
            c.check(
                fact_answer[q["fact"]] == q["answer"], f"{qid}: fact {q['fact']} has two different answers"
            )
        fact_answer[q["fact"]] = q["answer"]
        sources = q.get("sources") or [q["source"]]
        c.check(q["source"] in sources, f"{qid}: source not listed in sources")
        forms = [q["answer"], *q["aliases"]]
        for src in sources:
            if not c.check(src in corpus, f"{qid}: source {src!r} does not exist"):
                continue
            c.check(found(forms, ntexts[src]), f"{qid}: answer {q['answer']!r} not found in {src}")
        if args.verbose:
            others = [rel for rel in corpus if rel not in sources and found([q["answer"]], ntexts[rel])]
            if others:
                c.warn(f"{qid} ({q['answer']!r}) also occurs in: {', '.join(others)}")
    for text, n in unanswerable_texts.items():
        c.check(n == 1, f"unanswerable question duplicated: {text!r}")

    train_facts, test_facts = facts_by_split["train"], facts_by_split["test"]
    for fact, qs in train_facts.items():
        c.check(len(qs) == 1, f"fact {fact} has {len(qs)} train questions")
        c.check(
            qs[0]["kind"] == "paraphrase", f"{qs[0]['id']}: train questions are paraphrase or unanswerable"
        )
        c.check(fact in test_facts, f"fact {fact} is in train but has no test paraphrase")
    for fact, qs in test_facts.items():
        c.check(len(qs) == 1, f"fact {fact} has {len(qs)} test questions")
        q = qs[0]
        if q["kind"] == "test_only":
            c.check(fact not in train_facts, f"{q['id']}: test_only fact {fact} also appears in train")
        else:
            if not c.check(fact in train_facts, f"{q['id']}: paraphrase fact {fact} has no train question"):
                continue
            t = train_facts[fact][0]
            c.check(t["source"] == q["source"], f"{q['id']}: paraphrase source differs from train")
            a, b = content_words(t["question"]), content_words(q["question"])
            overlap = len(a & b) / max(1, len(a | b))
            c.check(norm(t["question"]) != norm(q["question"]), f"{q['id']}: same wording as {t['id']}")
            if overlap > 0.6:
                c.warn(f"{q['id']}/{t['id']}: wording overlap {overlap:.2f}")

    all_facts = set(train_facts) | set(test_facts)
    paraphrase_facts = {f for f, qs in test_facts.items() if qs[0]["kind"] == "paraphrase"}
    test_only_facts = {f for f, qs in test_facts.items() if qs[0]["kind"] == "test_only"}
    kinds = {split: Counter(q["kind"] for q in rows) for split, rows in splits.items()}
    c.check(len(all_facts) >= MIN_FACTS, f"only {len(all_facts)} facts (need {MIN_FACTS})")
    c.check(
        len(paraphrase_facts) >= MIN_PARAPHRASE_FACTS,
        f"only {len(paraphrase_facts)} paraphrase facts (need {MIN_PARAPHRASE_FACTS})",
    )
    c.check(
        len(test_only_facts) >= MIN_TEST_ONLY_FACTS,
        f"only {len(test_only_facts)} test-only facts (need {MIN_TEST_ONLY_FACTS})",
    )
    c.check(kinds["test"]["unanswerable"] >= MIN_UNANSWERABLE_TEST, "too few unanswerable test questions")
    c.check(kinds["train"]["unanswerable"] >= MIN_UNANSWERABLE_TRAIN, "too few unanswerable train questions")
    c.check(len(all_q) >= MIN_QUESTIONS, f"only {len(all_q)} questions (need {MIN_QUESTIONS})")
    c.check(kinds["train"]["test_only"] == 0, "train split contains test_only questions")

    # ------------------------------------------------------------ v2 update
    v2_changed_docs = load_corpus(UPDATE / "documents")
    removed = [
        line.strip()
        for line in (UPDATE / "removed.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    changed_docs = [rel for rel in v2_changed_docs if rel in corpus]
    added_docs = [rel for rel in v2_changed_docs if rel not in corpus]
    c.check(len(changed_docs) >= MIN_V2_CHANGED_DOCS, f"only {len(changed_docs)} changed v2 documents")
    c.check(
        len({Path(r).suffix for r in changed_docs}) >= MIN_V2_CHANGED_FORMATS,
        "changed v2 documents cover too few formats",
    )
    c.check(len(added_docs) >= 1, "no added v2 document")
    c.check(len(removed) >= 1, "removed.txt lists no document")
    for rel in removed:
        c.check(rel in corpus, f"removed.txt: {rel} is not a v1 document")
        c.check(rel not in v2_changed_docs, f"removed.txt: {rel} is also in update_v2/documents")
    for rel in changed_docs:
        c.check(extract_text(v2_changed_docs[rel]) != texts[rel], f"v2 {rel} is identical to v1")

    v2_paths = {rel: p for rel, p in corpus.items() if rel not in removed}
    v2_paths.update(v2_changed_docs)
    v2_ntexts = {
        rel: (ntexts[rel] if rel in corpus and rel not in v2_changed_docs else norm(extract_text(p)))
        for rel, p in v2_paths.items()
    }
    for rel in v2_changed_docs:
        n = words(extract_text(v2_changed_docs[rel]))
        c.check(DOC_WORDS[0] <= n <= DOC_WORDS[1], f"v2 {rel}: {n} words, outside {DOC_WORDS}")

    updates = load_jsonl(UPDATE / "questions.jsonl")
    v2_required = {"id", "question", "old_answer", "new_answer", "aliases", "source", "fact", "kind"}
    v2_ids = Counter(u.get("id") for u in updates)
    for uid, n in v2_ids.items():
        c.check(n == 1, f"update question id {uid} used {n} times")
        c.check(uid not in ids, f"update question id {uid} clashes with a train/test id")
    v2_facts = set()
    changed_with_train = 0
    for u in updates:
        uid = u.get("id")
        missing = v2_required - u.keys()
        if not c.check(not missing, f"{uid}: missing fields {sorted(missing)}"):
            continue
        c.check(u["kind"] in V2_KINDS, f"{uid}: unknown kind {u['kind']!r}")
        c.check(u["fact"] not in v2_facts, f"{uid}: fact {u['fact']} has two update questions")
        v2_facts.add(u["fact"])
        src = u["source"]
        new_forms = [u["new_answer"], *u["aliases"]]
        if u["kind"] == "changed":
            c.check(bool(u["old_answer"]) and bool(u["new_answer"]), f"{uid}: changed needs old and new")
            c.check(norm(u["old_answer"]) != norm(u["new_answer"]), f"{uid}: old and new answer are equal")
            if c.check(src in v2_changed_docs and src in corpus, f"{uid}: source {src} is not a changed doc"):
                c.check(
                    found(new_forms, v2_ntexts[src]), f"{uid}: new answer {u['new_answer']!r} not in v2 {src}"
                )
                c.check(
                    not contains(v2_ntexts[src], u["old_answer"]),
                    f"{uid}: old answer {u['old_answer']!r} still in v2 {src}",
                )
                c.check(contains(ntexts[src], u["old_answer"]), f"{uid}: old answer not in v1 {src}")
            if u["fact"] in train_facts:
                changed_with_train += 1
                c.check(
                    fact_answer[u["fact"]] == u["old_answer"],
                    f"{uid}: old_answer differs from the v1 gold answer of fact {u['fact']}",
                )
            elif u["fact"] in all_facts:
                c.check(
                    fact_answer[u["fact"]] == u["old_answer"],
                    f"{uid}: old_answer differs from the v1 gold answer of fact {u['fact']}",
                )
            for rel, t in v2_ntexts.items():
                if rel != src and contains(t, u["old_answer"]):
                    c.warn(f"{uid}: old answer {u['old_answer']!r} also occurs in v2 {rel}")
        elif u["kind"] == "added":
            c.check(u["old_answer"] == "", f"{uid}: added questions have old_answer ''")
            c.check(src in added_docs, f"{uid}: source {src} is not an added document")
            c.check(u["fact"] not in all_facts, f"{uid}: added fact {u['fact']} already exists in v1")
            if src in v2_ntexts:
                c.check(found(new_forms, v2_ntexts[src]), f"{uid}: new answer not in v2 {src}")
        else:  # removed
            c.check(u["new_answer"] == "", f"{uid}: removed questions have new_answer ''")
            c.check(src in removed, f"{uid}: source {src} is not listed in removed.txt")
            if src in ntexts:
                c.check(contains(ntexts[src], u["old_answer"]), f"{uid}: old answer not in v1 {src}")
            if u["fact"] in all_facts:
                c.check(
                    fact_answer[u["fact"]] == u["old_answer"],
                    f"{uid}: old_answer differs from the v1 gold answer of fact {u['fact']}",
                )
            for rel, t in v2_ntexts.items():
                if contains(t, u["old_answer"]):
                    c.warn(f"{uid}: removed answer {u['old_answer']!r} still occurs in v2 {rel}")
    c.check(len(updates) >= MIN_V2_QUESTIONS, f"only {len(updates)} update questions")
    c.check(
        changed_with_train >= MIN_V2_CHANGED_WITH_TRAIN,
        f"only {changed_with_train} changed facts have a train question (need {MIN_V2_CHANGED_WITH_TRAIN})",
    )
    ukinds = Counter(u.get("kind") for u in updates)
    c.check(
        ukinds["added"] >= 1 and ukinds["removed"] >= 1, "need at least one added and one removed question"
    )

    # Unchanged facts must still hold in v2 (their documents may have changed around them).
    for _split, q in all_q:
        if q.get("kind") == "unanswerable" or q.get("fact") in v2_facts:
            continue
        for src in q.get("sources") or [q["source"]]:
            if src in removed:
                c.check(False, f"{q['id']}: source {src} is removed in v2 but fact {q['fact']} has no update")
            elif src in v2_changed_docs:
                c.check(
                    found([q["answer"], *q["aliases"]], v2_ntexts[src]),
                    f"{q['id']}: unchanged fact {q['fact']} lost from v2 {src}",
                )

    # ------------------------------------------------------------ tasks
    task_summary = check_tasks(c, corpus, ntexts, [q["question"] for _, q in all_q])

    # ------------------------------------------------------------ report
    print("Aldermoor example")
    print(
        f"  documents: {len(corpus)} ({', '.join(f'{n} {f}' for f, n in sorted(per_format.items()))}),"
        f" {total_words} words"
    )
    for rel in corpus:
        extra = f", {pdf_pages[rel]} pages" if rel in pdf_pages else ""
        print(f"    {rel:55s} {words(texts[rel]):5d} words{extra}")
    print(
        f"  facts: {len(all_facts)} ({len(paraphrase_facts)} train+test paraphrase, "
        f"{len(test_only_facts)} test only)"
    )
    for split, counter in kinds.items():
        print(f"  {split}: {len(splits[split])} questions {dict(sorted(counter.items()))}")
    print(f"  total questions: {len(all_q)}")
    print(
        f"  v2: {len(changed_docs)} changed documents, {len(added_docs)} added, {len(removed)} removed; "
        f"{len(updates)} update questions {dict(sorted(ukinds.items()))}, "
        f"{changed_with_train} changed facts with a train question"
    )
    for line in task_summary:
        print(f"  {line}")
    for w in c.warnings:
        print(f"  warning: {w}")
    if c.errors:
        print(f"\nFAILED: {len(c.errors)} problem(s)")
        for e in c.errors:
            print(f"  - {e}")
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
