"""Configuration: the template matches the defaults, and bad values give errors naming the key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ragtune import ConfigError, config_schema, init_project, load_config
from ragtune.config import ProjectConfig


def test_init_template_loads_to_the_documented_defaults(tmp_path):
    init_project(tmp_path / "p", name="demo")
    cfg = load_config(tmp_path / "p")
    assert cfg.name == "demo"
    assert cfg.model_dump(exclude={"name"}) == ProjectConfig().model_dump(exclude={"name"})


def test_init_refuses_to_overwrite(tmp_path):
    init_project(tmp_path / "p")
    with pytest.raises(Exception, match="already exists"):
        init_project(tmp_path / "p")


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        ("retrieval.k=0", ["retrieval.k", "greater than or equal to 1", "got 0"]),
        ("retrieval.mode=fuzzy", ["retrieval.mode", "'dense', 'bm25' or 'hybrid'", "fuzzy"]),
        ("retrieval.kk=3", ["retrieval.kk", "unknown key"]),
        ("chunking.overlap=300", ["chunking", "overlap (300) must be smaller than size (200)"]),
        ("generation.backend=openai", ["generation", "base_url"]),
        ("name=a/b", ["name", "no spaces, slashes or colons"]),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(tmp_path, override, needles):
    init_project(tmp_path / "p")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "p", [override])
    for needle in needles:
        assert needle in str(info.value)


def test_overrides_parse_yaml_values(tmp_path):
    init_project(tmp_path / "p")
    cfg = load_config(tmp_path / "p", ["retrieval.k=7", "retrieval.filters={source: 'policies/*'}"])
    assert cfg.retrieval.k == 7
    assert cfg.retrieval.filters == {"source": "policies/*"}


def test_malformed_yaml_reports_the_line(tmp_path):
    init_project(tmp_path / "p")
    (tmp_path / "p" / "ragtune.yaml").write_text("name: x\nretrieval:\n  k: [1,\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_config(tmp_path / "p")


def test_missing_project_says_how_to_create_one(tmp_path):
    with pytest.raises(ConfigError, match="ragtune init"):
        load_config(tmp_path / "nowhere")


def test_schema_lists_every_section():
    schema = config_schema()
    assert {"chunking", "embedding", "store", "retrieval", "generation"} <= set(schema["properties"])


def test_cli_starts_without_heavy_imports():
    code = ("import sys; from ragtune.cli import _parser; _parser().format_help(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'torch', 'transformers', 'lancedb', 'sentence_transformers', 'pyarrow', 'numpy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_reports_config_errors_with_exit_code_2(tmp_path):
    init_project(tmp_path / "p")
    out = subprocess.run([sys.executable, "-m", "ragtune.cli", "ingest", str(tmp_path / "p"), "--set",
                          "retrieval.k=-1"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "retrieval.k" in out.stderr and "Traceback" not in out.stderr
