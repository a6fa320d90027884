"""Training data sources: question files, paraphrases, synthetic QA and the leakage guard."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from conftest import EXAMPLE, write_file

from ragtune.corpus.document import Chunk
from ragtune.data.leakage import DEFAULT_THRESHOLD, LeakageGuard, normalize
from ragtune.data.paraphrase import model_paraphrases, parse_list, template_paraphrases, valid_rephrasings
from ragtune.data.questions import QAPair, find_question_file, load_questions
from ragtune.data.synthetic import copied_span, model_qa, parse_qa, template_qa
from ragtune.errors import InputError
from ragtune.generate.base import Generation
from ragtune.generate.prompt import IDK

QUESTIONS = EXAMPLE / "questions"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    return write_file(folder / "questions" / name, content)


class CannedGenerator:
    """Returns given model text for each conversation, to test our parsing of model output (not a model)."""

    name = "canned"

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.batches: list[list] = []

    def chat_batch(self, batch, *, max_new_tokens=None, temperature=None, stop=None):
        self.batches.append(batch)
        return [Generation(t, 0, 0, 0.0, None, "stop") for t in self.texts[: len(batch)]]


# ----------------------------------------------------------------------------- loading question files


def test_load_jsonl(tmp_path):
    rows = [
        {
            "id": "a1",
            "question": "What is the X200 warranty?",
            "answer": "38 months",
            "aliases": ["3 years"],
            "source": "products/x200.md",
            "fact": "f1",
            "kind": "paraphrase",
            "sources": ["ignored"],
        },
        {"query": "Who is the CFO?", "gold": "", "answerable": False},
    ]
    text = json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n"
    pairs = load_questions(write(tmp_path, "train.jsonl", text))
    assert pairs[0] == QAPair(
        "a1", "What is the X200 warranty?", "38 months", ["3 years"], "products/x200.md", True, "f1", "paraphrase"
    )
    assert (pairs[1].id, pairs[1].question, pairs[1].answer, pairs[1].answerable) == (
        "train-2",
        "Who is the CFO?",
        "",
        False,
    )
    assert pairs[1].to_dict() == {
        "id": "train-2",
        "question": "Who is the CFO?",
        "answer": "",
        "aliases": [],
        "answerable": False,
        "origin": "question_set",
    }
    assert QAPair.from_dict(pairs[0].to_dict()) == pairs[0]


def test_load_json_list_with_field_aliases(tmp_path):
    data = [
        {"q": "How heavy is the X200?", "a": 610, "aliases": "610 g|0.61 kg"},
        {"Question": "Is it blue?", "Response": "No", "answerable": "yes"},
    ]
    pairs = load_questions(write(tmp_path, "test.json", json.dumps(data, indent=2)))
    assert [(p.id, p.question, p.answer, p.aliases, p.answerable) for p in pairs] == [
        ("test-1", "How heavy is the X200?", "610", ["610 g", "0.61 kg"], True),
        ("test-2", "Is it blue?", "No", [], True),
    ]


def test_load_csv_with_bom_aliases_and_answerable(tmp_path):
    text = (
        "Question,answer,aliases,source,answerable,sources\n"
        '"What does the X200 log, and how often?",every 15 minutes,15 min| quarter-hourly ,products/x200.md,,x\n'
        "What is the CFO's name?,,,,no,\n"
        "\n"
        "Is the G5 outdoor rated?,Yes,,,1,\n"
    )
    pairs = load_questions(write(tmp_path, "train.csv", codecs.BOM_UTF8 + text.encode("utf-8")))
    assert [(p.id, p.question, p.answer, p.aliases, p.source, p.answerable) for p in pairs] == [
        (
            "train-1",
            "What does the X200 log, and how often?",
            "every 15 minutes",
            ["15 min", "quarter-hourly"],
            "products/x200.md",
            True,
        ),
        ("train-2", "What is the CFO's name?", "", [], None, False),
        ("train-3", "Is the G5 outdoor rated?", "Yes", [], None, True),
    ]


def test_load_bundled_example():
    train, test = load_questions(QUESTIONS / "train.jsonl"), load_questions(QUESTIONS / "test.jsonl")
    assert (len(train), len(test)) == (116, 161)
    assert sum(not p.answerable for p in train) == 10
    assert train[0].answer == "38 months" and train[0].fact == "f001"


def test_find_question_file_prefers_jsonl(tmp_path):
    folder = tmp_path / "questions"
    assert find_question_file(folder, "train") is None
    write(tmp_path, "train.csv", "question,answer\nq,a\n")
    assert find_question_file(folder, "train") == folder / "train.csv"
    write(tmp_path, "train.jsonl", '{"question": "q", "answer": "a"}\n')
    assert find_question_file(folder, "train") == folder / "train.jsonl"
    assert find_question_file(folder, "test") is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "train.jsonl",
            '{"question": "a", "answer": "b"}\n\n{"question": "c", "answer": \n',
            r"questions/train\.jsonl line 3: not valid JSON \(.*\): fix or remove the line",
        ),
        ("train.jsonl", '["not", "an", "object"]\n', r"train\.jsonl line 1: expected a JSON object"),
        (
            "train.csv",
            "question,answer,source\nq1,a1,x.md\n,a2,y.md\n",
            r'questions/train\.csv line 3: no "question" column value \(columns: question, answer, source\)',
        ),
        ("train.csv", "query,answer\nq1,\n", r'train\.csv line 2: no "answer" column value .*"answerable" to false'),
        ("train.csv", "title,answer\nq1,a1\n", r"train\.csv line 1: no question column in the header"),
        ("train.csv", "question,answer,answerable\nq1,a1,maybe\n", r'line 2: "answerable" must be true or false'),
        (
            "train.jsonl",
            '{"id": "x", "question": "a", "answer": "b"}\n{"question": "c", "answer": "d"}\n'
            '{"id": "x", "question": "e", "answer": "f"}\n',
            r"duplicate id 'x' on questions/train\.jsonl line 1 and questions/train\.jsonl line 3",
        ),
        ("train.json", '{"question": "a"}', r"train\.json: expected a JSON list"),
        ("train.json", '[\n{"question": "a",}\n]', r"train\.json line 2: not valid JSON"),
        ("train.jsonl", "  \n\n", r"questions/train\.jsonl has no questions"),
        ("train.json", "[]", r"train\.json has no questions"),
        ("train.csv", "question,answer\n", r"train\.csv has no questions"),
        ("train.txt", "What? 42", r"unsupported question file type '\.txt': use \.jsonl, \.json or \.csv"),
        (
            "train.jsonl",
            b'{"question": "ok", "answer": "1"}\n{"question": "caf\xe9", "answer": "2"}\n',
            r"train\.jsonl line 2: not UTF-8 text \(byte 0xe9\): re-save the file as UTF-8",
        ),
    ],
)
def test_load_errors_name_file_line_and_fix(tmp_path, name, content, message):
    with pytest.raises(InputError, match=message):
        load_questions(write(tmp_path, name, content))


# ----------------------------------------------------------------------------- template paraphrases


X200 = QAPair(
    "q1",
    "What is the warranty period of the X200?",
    "38 months",
    ["3 years and 2 months"],
    source="products/x200-data-logger.md",
    fact="f001",
)


def test_template_paraphrases_follow_question_shape():
    questions = {p.question for p in template_paraphrases(X200, 30)}
    for expected in [
        "Could you tell me what the warranty period of the X200 is?",
        "Tell me the warranty period of the X200.",
        "I need to know: what is the warranty period of the X200?",
        "The warranty period of the X200 — what is it?",
        "Quick question: what is the warranty period of the X200?",
        "What's the warranty period of the X200?",
    ]:
        assert expected in questions
    how_many = QAPair("q2", "How many ports does the G5 have?", "4")
    assert "What number of ports does the G5 have?" in {p.question for p in template_paraphrases(how_many, 30)}
    which = QAPair("q3", "What warranty period applies to the X200 data logger?", "38 months")
    forms = {p.question for p in template_paraphrases(which, 30)}
    assert {
        "Which warranty period applies to the X200 data logger?",
        "Do you know what warranty period applies to the X200 data logger?",
    } <= forms


def test_template_paraphrases_are_deterministic_distinct_and_keep_answer():
    train = load_questions(QUESTIONS / "train.jsonl")
    for pair in train:
        out = template_paraphrases(pair, 8, seed=3)
        assert out == template_paraphrases(pair, 8, seed=3)
        assert len(out) == 8
        norms = {normalize(p.question) for p in out}
        assert len(norms) == 8 and normalize(pair.question) not in norms
        assert valid_rephrasings([p.question for p in out], pair.question) == [p.question for p in out]
        assert [p.id for p in out] == [f"{pair.id}-p{i}" for i in range(1, 9)]
        for p in out:
            assert (p.origin, p.parent, p.fact, p.source) == ("paraphrase", pair.id, pair.fact or pair.id, pair.source)
            assert p.answerable == pair.answerable and p.aliases == pair.aliases
            if pair.answerable:
                assert any(a in p.answer for a in [pair.answer, *pair.aliases])
            else:
                assert p.answer == IDK
    assert template_paraphrases(X200, 8, seed=0) != template_paraphrases(X200, 8, seed=1)
    answers = [p.answer for pair in train if pair.answerable for p in template_paraphrases(pair, 8)]
    assert sum(pair.answer in a for pair in train for a in answers) > 0.6 * len(answers)  # aliases only now and then
    assert template_paraphrases(X200, 3) == template_paraphrases(X200, 8)[:3]


def test_template_paraphrase_answers_name_the_document():
    titles = {"products/x200-data-logger.md": "X200 Data Logger"}
    answers = {p.answer for p in template_paraphrases(X200, 30, titles=titles)}
    assert answers <= {
        "38 months",
        "It is 38 months.",
        "The answer is 38 months.",
        "That would be 38 months.",
        "38 months, according to X200 Data Logger.",
        "According to X200 Data Logger, it is 38 months.",
        "3 years and 2 months",
        "It is 3 years and 2 months.",
        "The answer is 3 years and 2 months.",
        "That would be 3 years and 2 months.",
        "3 years and 2 months, according to X200 Data Logger.",
        "According to X200 Data Logger, it is 3 years and 2 months.",
    }
    assert any("X200 Data Logger" in a for a in answers)
    plain = {p.answer for p in template_paraphrases(X200, 30)}
    assert any("the x200 data logger document" in a for a in plain)


# ----------------------------------------------------------------------------- model paraphrases: parsing model text


def test_parse_list_and_validate():
    text = 'Here are 3 ways:\n1. How long is the X200 warranty?\n2) **What is the X200\'s warranty?**\n- "Tell me X"\n'
    assert parse_list(text) == ["How long is the X200 warranty?", "What is the X200's warranty?", "Tell me X"]
    assert parse_list("How long does it last?\nWhat is its lifetime?") == [
        "How long does it last?",
        "What is its lifetime?",
    ]
    original = "What warranty period applies to the X200 data logger?"
    candidates = [
        "",
        "what warranty period applies to the x200 data logger",  # the original, case and punctuation aside
        "How long is the X200 data logger under warranty?",
        "How long is the x200 data logger under warranty",  # duplicate of the previous one
        "How long is the warranty " + "really " * 40 + "on the X200?",  # over 3x the original's length
        "The X200 has a warranty.",  # a statement, not a question or request
        "What warranty period applies to the data logger?",  # drops the model code X200
        "Tell me the warranty period of the X200 data logger.",
    ]
    assert valid_rephrasings(candidates, original) == [
        "How long is the X200 data logger under warranty?",
        "Tell me the warranty period of the X200 data logger.",
    ]


def test_model_paraphrases_validates_and_fills_from_templates():
    pairs = [X200, QAPair("q9", "Who is the CFO?", "", answerable=False)]
    canned = CannedGenerator(
        [
            "1. How long is the X200's warranty?\n2. What is the warranty period of the X200\n3. The X200 is good.\n"
            "4. For how many months is the X200 covered by warranty?",
            "Sure!\n1. Who is the chief financial officer?\n2. Who is the CFO?",
        ]
    )
    out, fills = model_paraphrases(canned, pairs, k=3, seed=0)
    assert len(canned.batches) == 1 and len(canned.batches[0]) == 2  # one prompt per pair, one batch
    assert "Question: What is the warranty period of the X200?" in canned.batches[0][0][-1]["content"]
    assert fills == 3  # q1: 2 valid of 4 lines, q9: 1 valid of 2
    assert [p.id for p in out] == ["q1-p1", "q1-p2", "q1-p3", "q9-p1", "q9-p2", "q9-p3"]
    assert [p.question for p in out[:2]] == [
        "How long is the X200's warranty?",
        "For how many months is the X200 covered by warranty?",
    ]
    assert out[3].question == "Who is the chief financial officer?"
    assert len({normalize(p.question) for p in out[3:]} | {normalize("Who is the CFO?")}) == 4
    assert all("38 months" in p.answer or "3 years and 2 months" in p.answer for p in out[:3])
    assert all(p.answer == IDK and not p.answerable for p in out[3:])
    assert all(p.origin == "paraphrase" for p in out)


# ----------------------------------------------------------------------------- synthetic QA

CHUNK = Chunk(
    id="0123456789abcdef0123456789abcdef",
    source="products/x200-data-logger.md",
    title="X200 Data Logger",
    section="Warranty",
    text=(
        "The X200 carries a warranty of 38 months from the date of shipment. Batteries are covered for 12 months "
        "only.\nRepairs are handled by the Kellbeck service centre in all regions.\n| Part | Months |\n| --- | --- |"
    ),
    position=0,
)


def test_template_qa_answers_are_verbatim_spans():
    pairs = template_qa([CHUNK], 5)
    assert [(p.id, p.answer, p.kind) for p in pairs] == [
        ("syn-01234567-t1", "38 months", "cloze"),
        ("syn-01234567-t2", "12 months", "cloze"),
        ("syn-01234567-t3", "Kellbeck", "cloze"),
        ("syn-01234567-t4", "The X200 carries a warranty of 38 months from the date of shipment.", "section"),
    ]
    assert pairs[0].question == (
        "What completes this sentence from X200 Data Logger > Warranty: "
        '"The X200 carries a warranty of ____ from the date of shipment."?'
    )
    for p in pairs:
        assert p.answer in CHUNK.text
        assert (p.origin, p.source, p.fact) == ("synthetic", CHUNK.source, p.id)
    assert template_qa([CHUNK], 1) == pairs[:1]
    assert template_qa([CHUNK], 5) == pairs


def test_parse_qa_and_grounding():
    text = (
        "Here you go.\n1. Q: How long is the warranty? A: 38 months\n**Question 2:** What covers batteries?\n"
        "**Answer:** 12 months\nQ: dangling question\nQ: Who repairs units?\nA: Kellbeck service centre"
    )
    assert parse_qa(text) == [
        ("How long is the warranty?", "38 months"),
        ("What covers batteries?", "12 months"),
        ("Who repairs units?", "Kellbeck service centre"),
    ]
    assert copied_span("38 months", CHUNK.text) == "38 months"
    assert copied_span("the Kellbeck service centre", CHUNK.text) == "the Kellbeck service centre"
    assert copied_span("38 months warranty", CHUNK.text) == "38 months"  # trimmed to what the text says
    assert copied_span("Kellbeck service centre, in every region.", CHUNK.text) == "Kellbeck service centre"
    assert copied_span("48 months", CHUNK.text) is None  # "months" is 1 of 2 content words: 50% < 60%
    assert copied_span("2 Kellbeck service centre regions", CHUNK.text) is None  # a trim keeps every number
    assert copied_span("the", CHUNK.text) is None  # no content words
    assert copied_span("months " * 31, CHUNK.text) is None  # too long


def test_model_qa_keeps_grounded_short_distinct_pairs():
    canned = CannedGenerator(
        [
            "Q: How long is the X200 warranty?\nA: 38 months\n"
            "Q: How long is the X200 warranty\nA: 38 months from the date of shipment\n"  # same question again
            "Q: What colour is the X200?\nA: bright orange casing\n"  # not in the text
            "Q: \nA: 12 months\n"
            "Q: Who repairs units?\nA: The Kellbeck service centre\n"
            "Q: How long are batteries covered?\nA: 12 months\n"
        ]
    )
    pairs = model_qa(canned, [CHUNK], per_chunk=2)
    assert [(p.id, p.question, p.answer) for p in pairs] == [
        ("syn-01234567-1", "How long is the X200 warranty?", "38 months"),
        ("syn-01234567-2", "Who repairs units?", "The Kellbeck service centre"),
    ]
    assert all((p.origin, p.source, p.fact) == ("synthetic", CHUNK.source, p.id) for p in pairs)
    assert "Write 2 questions" in canned.batches[0][0][-1]["content"]


def test_model_qa_answers_are_found_in_their_chunk_by_rafts_matcher():
    from ragtune.data.raft import contains_answer, raft_rows
    from ragtune.index.store.base import Hit

    chunk = Chunk(id="fedcba9876543210fedcba9876543210", source="products/hub.md", title="Hub", section="Power",
                  text="The hub takes 4×AA cells and carries a 41 months limited warranty. Up to four loggers "
                       "share one hub.", position=0)
    canned = CannedGenerator(
        [
            "Q: How many cells does the hub take?\nA: 4\n"  # only in "4×AA": the matcher does not find "4"
            "Q: How long is the hub's warranty?\nA: 41 months warranty\n"  # trimmed to the text's "41 months"
            "Q: How many loggers share one hub?\nA: four loggers\n"
        ]
    )
    pairs = model_qa(canned, [chunk], per_chunk=3)
    assert [p.answer for p in pairs] == ["41 months", "four loggers"]
    assert all(contains_answer(chunk.text, p) for p in pairs)
    hits = [Hit(chunk, 1.0)]
    rows, skipped = raft_rows(pairs, [hits] * len(pairs), {chunk.source: hits}, distractors=0, gold_share=1.0)
    assert skipped == [] and len(rows) == len(pairs)


# ----------------------------------------------------------------------------- leakage guard


def test_normalize():
    assert normalize("  What's the X200's ﬁrmware —  VERSION?! ") == "what s the x200 s firmware version"
    assert normalize("Größe\tÄrger") == normalize("GRÖSSE ärger")


def test_guard_flags_exact_and_near_identical():
    test_q = "How long is the standard warranty on the X200 data logger?"
    guard = LeakageGuard([test_q, "Who founded Aldermoor Instruments?"])
    for text in [
        test_q,
        "how long is the standard warranty on the x200 data logger",
        "How long is the standard warranty, on the X200 data-logger??",
        "How long is the standard warranty on the X200 data logger today?",  # one word added
        "How long is the usual warranty on the X200 data logger?",  # one word changed
        "How long is the standard guarantee on the X200 data logger?",  # one word changed
        "How long is the warranty on the X200 data logger?",  # one word dropped
    ]:
        found = guard.match(text)
        assert found is not None and found[0] == test_q, text
    assert guard.match(test_q) == (test_q, 1.0)
    for text in [
        "What warranty period applies to the X200?",  # a rewording of the same fact is allowed
        "How long is the standard warranty on the X300 data logger?",  # another product: another fact
        "Who is the CEO?",
        "",
    ]:
        assert guard.match(text) is None, text


def test_guard_filter_records_removals():
    guard = LeakageGuard(["How long is the warranty on the X200?"])
    pairs = [
        QAPair("a", "How long is the warranty on the X200?", "38 months"),
        QAPair("b", "What does the X200 weigh?", "610 g"),
    ]
    kept, removed = guard.filter(pairs)
    assert [p.id for p in kept] == ["b"]
    assert removed == [
        {
            "id": "a",
            "question": "How long is the warranty on the X200?",
            "test_question": "How long is the warranty on the X200?",
            "similarity": 1.0,
        }
    ]


def test_guard_passes_the_examples_reworded_test_questions():
    train, test = load_questions(QUESTIONS / "train.jsonl"), load_questions(QUESTIONS / "test.jsonl")
    guard = LeakageGuard([p.question for p in test])
    assert guard.threshold == DEFAULT_THRESHOLD
    kept, removed = guard.filter(train)
    assert removed == [] and len(kept) == len(train)
    best = max((guard.similarity(p.question) or ("", 0.0))[1] for p in train)
    assert 0.5 < best < DEFAULT_THRESHOLD - 0.05  # the margin the module docstring reports (0.583)
    paraphrases = [x for p in train for x in template_paraphrases(p, 8)]
    assert guard.filter(paraphrases)[1] == []
    # every test question itself, and its trivial edits, are caught
    for q in test:
        assert guard.match(q.question.upper().rstrip("?") + " ?!")[1] == 1.0
    # train q097 and test q255 differ only in the year (q255 is unanswerable): another fact, not a copy
    q097 = next(p for p in train if p.id == "q097").question
    assert guard.match(q097) is None
    assert LeakageGuard([p.question for p in test], same_numbers=False).match(q097)[1] > 0.95


# ----------------------------------------------------------------------------- real generator


class Recording:
    """Passes calls to a real generator and keeps its raw answers, so a failing run shows what the model wrote."""

    def __init__(self, generator) -> None:
        self.generator = generator
        self.texts: list[str] = []

    def chat_batch(self, batch, **kwargs):
        out = self.generator.chat_batch(batch, **kwargs)
        self.texts += [g.text for g in out]
        return out


@pytest.mark.slow
def test_model_paraphrases_with_bundled_generator():
    from ragtune.config import GenerationConfig
    from ragtune.generate import load_generator

    generator = Recording(load_generator(GenerationConfig(max_new_tokens=64)))
    train = {p.id: p for p in load_questions(QUESTIONS / "train.jsonl")}
    pairs = [train["q001"], train["q003"]]
    out, fills = model_paraphrases(generator, pairs, k=3)
    print(f"\nmodel output: {generator.texts!r}\n{6 - fills} of 6 paraphrases from the model:")
    print(*(f"  {p.question} -> {p.answer}" for p in out), sep="\n")
    assert len(out) == 6 and 0 <= fills <= 6
    for pair, group in zip(pairs, [out[:3], out[3:]]):
        assert [p.parent for p in group] == [pair.id] * 3
        assert len({normalize(p.question) for p in group} | {normalize(pair.question)}) == 4
        assert valid_rephrasings([p.question for p in group], pair.question) == [p.question for p in group]
        assert all(any(a in p.answer for a in [pair.answer, *pair.aliases]) for p in group)
