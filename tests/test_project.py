"""The project layout: every path of a project folder comes from ``Project``, at the documented place."""

from __future__ import annotations

import pytest
from conftest import set_config

from ragtune import init_project
from ragtune.project import Project


@pytest.fixture
def custom(tmp_path) -> Project:
    """A project whose documents, store and freshness update live in non-default folders."""
    root = tmp_path / "proj"
    init_project(root)
    set_config(root, "documents: sources/manuals\nstore:\n  path: index\n"
                     "evaluation:\n  freshness:\n    update: updates/may")
    return Project.load(root)


def test_layout_paths_follow_the_config(custom):
    root = custom.root
    assert custom.config_file == root / "ragtune.yaml"
    assert custom.documents_dir == root / "sources" / "manuals"
    assert custom.store_dir == root / "index"
    assert custom.questions_dir == root / "questions"
    assert custom.update_dir == root / "updates" / "may"
    assert custom.data_dir == root / "data"
    assert {k: custom.data_file(k) for k in ("sft", "raft", "cpt")} == {
        "sft": root / "data" / "sft.jsonl", "raft": root / "data" / "raft.jsonl", "cpt": root / "data" / "cpt.jsonl"}
    assert custom.build_report == root / "data" / "build.json"
    assert custom.models_dir == root / "models"
    assert custom.model_dir("ft") == root / "models" / "ft"
    assert custom.work_dir("hybrid") == root / "models" / ".work-hybrid"
    assert custom.runs_dir == root / "runs"
    assert custom.run_dir("20260101-000000") == root / "runs" / "20260101-000000"
    assert custom.path("data/sft.jsonl") == custom.data_file("sft")


def test_default_layout_and_absolute_paths(tmp_path):
    root = tmp_path / "plain"
    init_project(root)
    project = Project.load(root)
    assert (project.documents_dir, project.store_dir, project.update_dir) == (
        root / "documents", root / "kb", root / "update_v2")
    assert project.documents_dir.is_dir()  # init_project made it where the config points
    elsewhere = tmp_path / "elsewhere"
    moved = Project(root, project.config.model_copy(update={"documents": str(elsewhere)}))
    assert moved.documents_dir == elsewhere and moved.path(elsewhere) == elsewhere
    with pytest.raises(ValueError, match="unknown training data"):
        project.data_file("dpo")


def test_helpers_keep_their_paths(custom):
    from ragtune.evaluate.runs import latest_run, new_run_folder
    from ragtune.training.artifact import model_dir, work_dir
    from ragtune.training.trainer import DATA_FILES, data_file_for

    assert model_dir(custom, "ft") == custom.model_dir("ft") and work_dir(custom, "ft") == custom.work_dir("ft")
    assert DATA_FILES == {"sft": "data/sft.jsonl", "raft": "data/raft.jsonl", "cpt": "data/cpt.jsonl"}
    assert {custom.path(data_file_for(v, m)) for v, m in (("ft", "lora"), ("hybrid", "full"), ("ft", "cpt"))} == {
        custom.data_file("sft"), custom.data_file("raft"), custom.data_file("cpt")}
    folder = new_run_folder(custom)
    assert folder.parent == custom.runs_dir and folder == custom.run_dir(folder.name) and folder.is_dir()
    (folder / "results.json").write_text("{}", encoding="utf-8")
    assert latest_run(custom) == folder
