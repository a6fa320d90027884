"""ragtune.atomic: whole-file replacement, nothing left behind on failure, permissions kept; folder swaps."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from ragtune import atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_write_text_replaces_the_whole_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("a much longer old content\n" * 10, encoding="utf-8")
    atomic.write_text(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert os.listdir(tmp_path) == ["a.txt"]
    atomic.write_bytes(path, b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"


def test_json_and_jsonl_are_written_as_json_dumps_writes_them(tmp_path):
    value = {"b": "é", "a": [1, 2]}
    atomic.write_json(tmp_path / "v.json", value, indent=1, sort_keys=True, ensure_ascii=False)
    assert (tmp_path / "v.json").read_text(encoding="utf-8") == json.dumps(value, indent=1, sort_keys=True,
                                                                            ensure_ascii=False)
    rows = [{"q": "é"}, {"q": 2}]
    atomic.write_jsonl(tmp_path / "r.jsonl", iter(rows), ensure_ascii=False)
    assert (tmp_path / "r.jsonl").read_bytes() == "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                          for r in rows).encode()
    assert sorted(os.listdir(tmp_path)) == ["r.jsonl", "v.json"]


def test_a_value_json_cannot_hold_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "v.json"
    path.write_text('{"old": 1}', encoding="utf-8")
    with pytest.raises(TypeError):
        atomic.write_json(path, {"x": object()})
    with pytest.raises(TypeError):  # a row that fails half-way through the file
        atomic.write_jsonl(path, [{"ok": 1}, {"x": object()}])
    assert path.read_text(encoding="utf-8") == '{"old": 1}'
    assert os.listdir(tmp_path) == ["v.json"]


def test_a_failed_replace_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ragtune.yaml"
    path.write_text("old: 1\n", encoding="utf-8")

    def fail(*_args):
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        atomic.write_text(path, "new: 2\n")
    assert path.read_text(encoding="utf-8") == "old: 1\n"
    assert os.listdir(tmp_path) == ["ragtune.yaml"]


def test_an_error_in_the_writing_block_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "best.safetensors"
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic.replacing(path) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["best.safetensors"]
    with atomic.replacing(path) as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".tmp") and tmp.read_bytes() == b""
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new"


@pytest.mark.parametrize("bits", [0o600, 0o640, 0o664, 0o444])
def test_an_existing_files_permissions_are_kept(tmp_path, bits):
    path = tmp_path / "ragtune.yaml"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(bits)
    atomic.write_text(path, "new\n")
    assert mode(path) == bits and path.read_text(encoding="utf-8") == "new\n"


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    atomic.write_text(tmp_path / "new.json", "{}")
    assert mode(tmp_path / "new.json") == 0o666 & ~umask()


def test_switching_the_store_keeps_ragtune_yaml_private(tmp_path):
    from ragtune import init_project
    from ragtune.config import StoreConfig
    from ragtune.index.migrate import switch_store

    config = init_project(tmp_path / "proj")  # the path of its ragtune.yaml
    config.chmod(0o600)  # it may hold a database URL with a password
    switch_store(config, StoreConfig(backend="lancedb", path="kb-two"))
    assert yaml.safe_load(config.read_text(encoding="utf-8"))["store"]["path"] == "kb-two"
    assert mode(config) == 0o600
    assert sorted(p.name for p in config.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_swap_folder_replaces_the_target_whole(tmp_path):
    target, built = tmp_path / "ft", tmp_path / ".tmp-ft"
    (target / "sub").mkdir(parents=True)
    (target / "old.bin").write_bytes(b"old")
    (target / "sub" / "x").write_text("x")
    built.mkdir()
    (built / "new.bin").write_bytes(b"new")
    atomic.swap_folder(built, target)
    assert sorted(os.listdir(target)) == ["new.bin"]
    assert sorted(os.listdir(tmp_path)) == ["ft"]  # neither the built folder nor the aside is left


def test_swap_folder_into_an_absent_target_and_over_a_leftover(tmp_path):
    built = tmp_path / ".tmp"
    built.mkdir()
    (built / "f").write_text("1")
    (tmp_path / ".old-step-000001").mkdir()  # an aside a killed swap left
    atomic.swap_folder(built, tmp_path / "step-000001")
    assert (tmp_path / "step-000001" / "f").read_text() == "1"
    assert sorted(os.listdir(tmp_path)) == ["step-000001"]
    built.mkdir()
    (tmp_path / "file").write_text("not a folder")
    atomic.swap_folder(built, tmp_path / "file")
    assert (tmp_path / "file").is_dir() and sorted(os.listdir(tmp_path)) == ["file", "step-000001"]


def test_a_failed_swap_keeps_the_old_target(tmp_path, monkeypatch):
    target, built = tmp_path / "ft", tmp_path / ".tmp-ft"
    target.mkdir()
    (target / "old.bin").write_bytes(b"old")
    built.mkdir()
    real_rename = os.rename

    def rename(src, dst):
        if Path(src) == built:
            raise OSError("no space")
        real_rename(src, dst)

    monkeypatch.setattr(atomic.os, "rename", rename)
    with pytest.raises(OSError, match="no space"):
        atomic.swap_folder(built, target)
    assert (target / "old.bin").read_bytes() == b"old"  # put back from the aside
    assert sorted(os.listdir(tmp_path)) == [".tmp-ft", "ft"]  # the built folder is the caller's to delete
