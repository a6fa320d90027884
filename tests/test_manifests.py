"""The files a project keeps read and write back unchanged: knowledge-base version manifests, model manifests,
data/build.json, and the chunk row the stores' tables are made of (so existing stores and projects still load)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ragtune import InputError, Project, RagtuneError, init_project
from ragtune.corpus.document import Chunk
from ragtune.data.build import BuildReport, read_build_report
from ragtune.index.manifest import KBRef, KBVersion
from ragtune.index.store import ChunkRecord
from ragtune.index.store.rows import (
    arrow_schema,
    arrow_table,
    chunk_from_row,
    pg_columns,
    pg_copy_types,
    pg_keyword_text,
    record_from_row,
)
from ragtune.training.artifact import read_manifest
from ragtune.training.manifest import ModelManifest

# A version manifest as ragtune wrote it before the manifests were typed (LanceDB: indent=1, sort_keys).
KB_VERSION = {
    "version": 3, "parent": 2, "created": "2026-01-02T03:04:05+00:00", "note": "rollback to 1",
    "settings": {"embedding": "bundled:minilm", "chunking": {"size": 256, "overlap": 32}, "parsers": {}},
    "summary": {"rollback_to": 1},
    "documents": {"hr/leave.md": {"sha256": "ab12", "title": "Leave", "chunks": ["c1", "c2"], "labels": ["hr"]},
                  "faq.md": {"sha256": "cd34", "title": "FAQ", "chunks": ["c3"], "labels": ["public"]}},
}
MODEL = {
    "variant": "ft", "method": "lora", "base_model": "bundled:smollm2", "hyperparameters": {"learning_rate": 2e-4},
    "autocast": "bfloat16", "data": {"file": "data/sft.jsonl", "sha256": "ef56", "rows_train": 40, "rows_dev": 4},
    "kb": {"version": 3, "fingerprint": "0123456789abcdef"}, "result": {"steps": 12, "seconds": 3.5},
    "created": "2026-01-02T03:04:05+00:00", "versions": {"ragtune": "0.1.0"},
}
BUILD = {
    "questions": 5, "synthetic": 0, "paraphrases": 10, "template_fills": 0, "trained_questions": 5, "sft_train": 13,
    "sft_dev": 2, "raft": 15, "cpt": 3, "removed": [], "skipped": [], "warnings": ["ü"],
    "kb": {"version": 3, "fingerprint": "0123456789abcdef"}, "seconds": 0.5, "created": "2026-01-02T03:04:05+00:00",
    "settings": {"paraphrases": 2}, "train_file": "questions/train.jsonl", "test_file": None,
}


def test_a_version_manifest_reads_and_writes_back_byte_for_byte():
    text = json.dumps(KB_VERSION, indent=1, sort_keys=True)
    version = KBVersion.from_dict(json.loads(text))
    assert json.dumps(version.to_dict(), indent=1, sort_keys=True) == text
    assert version.documents["hr/leave.md"].labels == ["hr"] and version.chunk_count == 3
    assert version.chunk_labels() == {"c1": ["hr"], "c2": ["hr"], "c3": ["public"]}
    assert version.ref() == KBRef(3, version.fingerprint()) and len(version.fingerprint()) == 16


def test_an_older_version_manifest_gets_defaults_and_a_malformed_one_a_clear_error():
    old = KBVersion.from_dict({"version": 1, "documents": {"a.md": {"sha256": "x", "title": "A", "chunks": ["c"]}}})
    assert old.documents["a.md"].labels == [] and old.settings.parsers == {} and old.parent is None
    for bad in ([], {"version": 1}, {"version": 1, "documents": {"a.md": {"title": "A"}}}):
        with pytest.raises(RagtuneError, match="knowledge-base version 1 is malformed"):
            KBVersion.from_dict(bad, "knowledge-base version 1")


def test_a_model_manifest_reads_and_writes_back_byte_for_byte(tmp_path):
    for data in (MODEL, {**MODEL, "kb": {}}, {**MODEL, "from_a_newer_ragtune": [1]}):
        text = json.dumps(data, indent=2)
        assert json.dumps(ModelManifest.from_dict(json.loads(text)).to_dict(), indent=2) == text
    (tmp_path / "ft").mkdir()
    (tmp_path / "ft" / "manifest.json").write_text(json.dumps(MODEL), encoding="utf-8")
    manifest = read_manifest(tmp_path / "ft")
    assert manifest.kb == KBRef(3, "0123456789abcdef") and manifest.training_seconds == 3.5
    assert read_manifest(tmp_path / "none") is None
    minimal = ModelManifest.from_dict({"variant": "ft", "method": "full"})
    assert minimal.kb is None and minimal.data is None and minimal.base_model is None
    (tmp_path / "ft" / "manifest.json").write_text('{"variant": "ft",', encoding="utf-8")
    with pytest.raises(InputError, match="manifest.json is not a model manifest"):
        read_manifest(tmp_path / "ft")


def test_build_json_reads_and_writes_back_byte_for_byte(tmp_path):
    root = tmp_path / "p"
    init_project(root)
    project = Project.load(root)
    assert read_build_report(project) is None
    text = json.dumps(BUILD, indent=2, ensure_ascii=False)
    project.build_report.parent.mkdir()
    project.build_report.write_text(text, encoding="utf-8")
    report = read_build_report(project)
    assert json.dumps(report.to_dict(), indent=2, ensure_ascii=False) == text
    assert report.kb == KBRef(3, "0123456789abcdef") and report.trained_questions == 5
    assert BuildReport.from_dict({"kb": {}}, Path("data")).kb is None
    project.build_report.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(InputError, match="build.json does not read"):
        read_build_report(project)


# The tables as they were defined before the row was (existing LanceDB folders and PostgreSQL schemas open as is).
LANCE_SCHEMA = """id: string
source: string
title: string
section: string
text: string
position: int32
page: int32
labels: list<item: string>
  child 0, item: string
vector: fixed_size_list<item: float>[4]
  child 0, item: float"""
PG_COLUMNS = ("id text PRIMARY KEY, source text NOT NULL, title text, section text, text text NOT NULL, "
              "position integer, page integer, labels text[] NOT NULL DEFAULT '{}', vector vector(4) NOT NULL")


def test_the_chunk_row_makes_the_tables_it_always_made():
    assert str(arrow_schema(4)) == LANCE_SCHEMA
    assert pg_columns(4) == PG_COLUMNS
    assert pg_keyword_text() == "coalesce(title, '') || ' ' || coalesce(section, '') || ' ' || text"
    assert pg_copy_types() == ["text", "text", "text", "text", "text", "int4", "int4", "text[]", "vector"]


def test_a_record_goes_through_an_arrow_row_and_back():
    record = ChunkRecord(Chunk("c1", "a.md", "A", "Intro", "Hello.", 0, 2), np.arange(4, dtype=np.float64), ["hr"])
    table = arrow_table([record])
    assert str(table.schema) == LANCE_SCHEMA and table.column("vector").type.value_type == "float"
    back = record_from_row(table.to_pylist()[0])
    assert back.chunk == record.chunk and back.labels == ["hr"] and back.vector.dtype == np.float32
    assert np.array_equal(back.vector, record.vector)
    assert chunk_from_row(table.drop_columns(["vector"]).to_pylist()[0]) == record.chunk
