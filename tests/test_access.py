"""Document access: labels from rules, sidecars and the default; readers; relabelling; `ask --as` (both stores)."""

from __future__ import annotations

import json
import uuid

import pytest

from ragtune import ConfigError, InputError, Project, ask, ingest, kb_rollback
from ragtune.access import reader_labels
from ragtune.config import AccessConfig, parse_config
from ragtune.index.kb import KnowledgeBase
from ragtune.index.retrieve import Retriever

DOCS = {
    "hr/salaries.md": "# Salaries\n\nEngineers at grade 7 earn 81,500 euros a year.\n",
    "hr/leave.md": "# Parental leave\n\nParents receive 26 weeks of paid leave.\n",
    "finance/budget.md": "# Budget\n\nThe 2027 travel budget is 412,000 euros.\n",
    "handbook.md": "# Handbook\n\nThe office opens at 8:30 and closes at 18:00.\n",
}
ACCESS = """access:
  rules:
    - {path: "hr/**", labels: [hr]}
    - {path: "finance/*", labels: [finance, board]}
  users:
    alice: [hr]
    bob: [staff]
    carol: [finance]
"""


@pytest.fixture(params=["lancedb", "pgvector"])
def labelled_project(request, make_project, monkeypatch):
    """A project with access rules on hr/ and finance/, ingested on each store backend."""
    store = ""
    if request.param == "pgvector":
        monkeypatch.setenv("RAGTUNE_TEST_PG_URL", request.getfixturevalue("pg_url"))
        store = f"store:\n  backend: pgvector\n  url: env:RAGTUNE_TEST_PG_URL\n  pg_schema: t_{uuid.uuid4().hex[:12]}\n"
    root = make_project(DOCS, config=ACCESS + store)
    ingest(root)
    return root


def visible_sources(root, reader, question: str = "salary leave budget office", k: int = 20) -> set[str]:
    project = Project.load(root)
    kb = KnowledgeBase(project)
    allowed = reader_labels(project.config.access, reader)
    hits = Retriever(kb.store, kb.embedder, project.config.retrieval).search(question, k=k, allowed=allowed)
    return {h.chunk.source for h in hits}


def manifest_labels(root) -> dict[str, list[str]]:
    return {s: d.labels for s, d in KnowledgeBase(Project.load(root)).manifest().documents.items()}


def test_rules_sidecars_and_the_default_label_documents_and_readers_see_only_theirs(labelled_project):
    root = labelled_project
    assert manifest_labels(root) == {"hr/salaries.md": ["hr"], "hr/leave.md": ["hr"],
                                     "finance/budget.md": ["board", "finance"], "handbook.md": ["public"]}
    everything = set(DOCS)
    assert visible_sources(root, None) == everything
    assert visible_sources(root, "alice") == {"hr/salaries.md", "hr/leave.md", "handbook.md"}
    assert visible_sources(root, "bob") == {"handbook.md"}
    assert visible_sources(root, "board") == {"finance/budget.md", "handbook.md"}  # a group, not a user
    assert visible_sources(root, "alice,carol") == everything
    assert visible_sources(root, ["nobody-known"]) == {"handbook.md"}  # unknown names read public only


def test_a_sidecar_relabels_a_document_without_reembedding_and_rollback_restores_the_labels(labelled_project):
    root = labelled_project
    sidecar = root / "documents" / "hr" / "leave.md.metadata.json"
    sidecar.write_text(json.dumps({"labels": ["staff", "hr"]}), encoding="utf-8")
    report = ingest(root)
    assert (report.version, report.relabeled, report.chunks_embedded) == (2, ["hr/leave.md"], 0)
    assert report.added == report.changed == [] and "1 relabelled" in "\n".join(report.lines())
    assert manifest_labels(root)["hr/leave.md"] == ["hr", "staff"]
    assert visible_sources(root, "bob") == {"hr/leave.md", "handbook.md"}
    assert ingest(root).version == 2  # nothing changed since
    assert kb_rollback(root, 1) == 3
    assert visible_sources(root, "bob") == {"handbook.md"}
    assert manifest_labels(root)["hr/leave.md"] == ["hr"]


def test_a_rule_change_relabels_and_a_bad_sidecar_keeps_the_previous_version(labelled_project):
    root = labelled_project
    config = (root / "ragtune.yaml").read_text(encoding="utf-8")
    (root / "ragtune.yaml").write_text(config.replace("labels: [finance, board]", "labels: [finance]"),
                                       encoding="utf-8")
    report = ingest(root)
    assert report.relabeled == ["finance/budget.md"] and report.chunks_embedded == 0
    assert visible_sources(root, "board") == {"handbook.md"}
    (root / "documents" / "handbook.md.metadata.json").write_text("{labels: oops", encoding="utf-8")
    report = ingest(root)
    assert [s for s, _ in report.skipped] == ["handbook.md"] and "not valid JSON" in report.skipped[0][1]
    assert "previous version kept" in report.skipped[0][1]
    assert visible_sources(root, "bob") == {"handbook.md"}  # still public, still there
    (root / "documents" / "handbook.md.metadata.json").write_text('{"labels": "hr"}', encoding="utf-8")
    with pytest.raises(InputError, match="must be a list"):
        from ragtune.access import read_sidecar_labels

        read_sidecar_labels(root / "documents" / "handbook.md")


def test_ask_as_a_reader_answers_from_their_documents_only(labelled_project, capsys):
    from ragtune.cli import main

    root = labelled_project
    question = "How much do engineers at grade 7 earn?"
    owner = ask(root, question, k=2)
    assert owner.sources[0].chunk.source == "hr/salaries.md"
    assert main(["ask", str(root), question, "--as", "bob", "-k", "2", "--json"]) in (0, None)
    shown = json.loads(capsys.readouterr().out)
    assert shown["sources"] and {s["document"] for s in shown["sources"]} <= {"handbook.md"}
    alice = ask(root, question, k=2, reader="alice")
    assert alice.sources[0].chunk.source == "hr/salaries.md"


def test_readers_users_groups_and_config_errors_name_the_key():
    access = AccessConfig(users={"alice": ["hr", "it"]})
    assert reader_labels(access, None) is None
    assert reader_labels(access, "alice") == {"alice", "hr", "it", "public"}
    assert reader_labels(access, ["hr", " board "]) == {"hr", "board", "public"}
    with pytest.raises(InputError, match="needs a name"):
        reader_labels(access, " , ")
    with pytest.raises(ConfigError, match=r"access.rules.0.labels"):
        parse_config({"access": {"rules": [{"path": "x/**", "labels": ["two words"]}]}})
    with pytest.raises(ConfigError, match=r"unknown user 'dave'"):
        parse_config({"access": {"keys": [{"name": "app", "env": "APP_KEY", "user": "dave"}]}})
    with pytest.raises(ConfigError, match="exactly one of sha256"):
        parse_config({"access": {"keys": [{"name": "app", "groups": ["hr"]}]}})


MALFORMED_SIDECARS = {  # none of these parses into labels: each must skip the document, never give it the default
    '{"Labels": ["secret"]}': "unknown key 'Labels'",
    '["secret"]': "must be a JSON object",
    '{"labels": "secret"}': "must be a list",
    '{"labels": ["secret", 7]}': "must be a list",
    '{"labels": [""]}': "label ''",
    '{"labels": ["secret"], "groups": ["x"]}': "unknown key 'groups'",
    '{"labels": [], "labels": ["secret"]}': "repeats the key 'labels'",
    '{}': 'no "labels"',
    'null': "must be a JSON object",
    '{"labels": ["secret"]': "not valid JSON",
}


def test_a_malformed_sidecar_skips_the_document_and_never_exposes_it(make_project):
    """A document labelled [secret] by its sidecar stays [secret] (its previous version kept, the reason named) when
    the sidecar turns malformed; a new document with a malformed sidecar is not ingested at all."""
    root = make_project({**DOCS, "secret/plan.md": "# Plan\n\nProject Heron launches on 14 March with 9 pilots.\n"},
                        config=ACCESS)
    sidecar = root / "documents" / "secret" / "plan.md.metadata.json"
    sidecar.write_text('{"labels": ["secret"]}', encoding="utf-8")
    assert ingest(root).skipped == [] and manifest_labels(root)["secret/plan.md"] == ["secret"]
    questions = ["When does Project Heron launch?", "How many pilots does the plan have?", "plan heron march",
                 "salary leave budget office", "What opens at 8:30?"]
    exposures = 0
    for text, reason in MALFORMED_SIDECARS.items():
        sidecar.write_text(text, encoding="utf-8")
        report = ingest(root)
        assert [s for s, _ in report.skipped] == ["secret/plan.md"], (text, report.skipped)
        why = report.skipped[0][1]
        assert reason in why and "previous version kept" in why and sidecar.name in why, (text, why)
        assert any("secret/plan.md" in line and reason in line for line in report.lines()), report.lines()
        assert manifest_labels(root)["secret/plan.md"] == ["secret"], text
        for reader in ("bob", "public", ["staff", "hr"]):
            exposures += sum("secret/plan.md" in visible_sources(root, reader, q, k=5) for q in questions)
    assert exposures == 0
    assert visible_sources(root, "secret", "When does Project Heron launch?", k=1) == {"secret/plan.md"}
    fresh = root / "documents" / "secret" / "memo.md"
    fresh.write_text("# Memo\n\nThe Heron budget is 3 million euros.\n", encoding="utf-8")
    (root / "documents" / "secret" / "memo.md.metadata.json").write_text('["secret"]', encoding="utf-8")
    report = ingest(root)
    assert {s for s, _ in report.skipped} == {"secret/plan.md", "secret/memo.md"}
    assert "secret/memo.md" not in manifest_labels(root)
    assert "secret/memo.md" not in visible_sources(root, None, "Heron budget million euros", k=20)


def test_users_and_groups_never_share_a_name():
    """A group is read as itself, never expanded through access.users; a name is a user or a group, not both."""
    from ragtune.access import ReaderSpec

    access = AccessConfig(users={"ops": ["hr"], "alice": ["alice", "it"]})  # a user in a group of their name: fine
    assert reader_labels(access, "ops") == {"ops", "hr", "public"}  # a bare name is the user when there is one
    assert reader_labels(access, ReaderSpec(users=("ops",))) == {"ops", "hr", "public"}
    assert reader_labels(access, ReaderSpec(groups=("it", "board"))) == {"it", "board", "public"}
    with pytest.raises(InputError, match="'ops' is a user of access.users, not a group"):
        reader_labels(access, ReaderSpec(groups=("ops",)))
    with pytest.raises(InputError, match="unknown user 'dave'"):
        reader_labels(access, ReaderSpec(users=("dave",)))
    for access, where in (({"users": {"ops": ["hr"], "bob": ["ops"]}}, r"access.users.bob"),
                          ({"users": {"ops": ["hr"]}, "keys": [{"name": "app", "env": "K", "groups": ["ops"]}]},
                           r"access.keys\[0\] \(app\)")):
        with pytest.raises(ConfigError, match=rf"'ops' is both a user \(access.users\) and a group \({where}"):
            parse_config({"access": access})
