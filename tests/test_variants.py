"""The registry of variants and training methods: its order and sets, and that config, CLI and code read it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ragtune import ConfigError, InputError, config_schema, init_project, load_config, variants
from ragtune.cli import _arm, _parser
from ragtune.config import ArmConfig

KNOWN = "'base', 'few-shot', 'rag', 'ft' or 'hybrid'"  # how pydantic names the allowed values


def test_registry_order_and_sets():
    assert variants.names() == ("base", "few-shot", "rag", "ft", "hybrid")
    assert variants.compared() == ("base", "rag", "ft", "hybrid")  # the QA comparison's default arms
    assert variants.retrieving() == ("rag", "hybrid")
    assert variants.trained() == ("ft", "hybrid")
    assert variants.untrained() == ("base", "few-shot", "rag")
    assert [v.simplicity for v in variants.VARIANTS.values()] == [0, 1, 2, 3, 4]
    assert {n: v.data for n, v in variants.VARIANTS.items()} == {"base": None, "few-shot": None, "rag": None,
                                                                 "ft": "sft", "hybrid": "raft"}
    assert {n: v.prompt for n, v in variants.VARIANTS.items()} == {"base": "base", "few-shot": "few-shot",
                                                                   "rag": "rag", "ft": "base", "hybrid": "rag"}
    assert variants.DEFAULT_ASK == "rag" and variants.DEFAULT_TRAINED in variants.trained()
    assert tuple(variants.METHODS) == ("lora", "full", "cpt")


def test_get_names_the_known_variants():
    assert variants.get("hybrid").retrieves and variants.get("hybrid").trained
    with pytest.raises(InputError, match="unknown variant 'qa': choose one of base, few-shot, rag, ft, hybrid"):
        variants.get("qa")


def test_code_reads_the_registry():
    from ragtune.answer import PROMPTS
    from ragtune.evaluate.aggregate import costs
    from ragtune.recommendation.results import SIMPLICITY
    from ragtune.server.service import ALWAYS
    from ragtune.training import TRAINED_VARIANTS
    from ragtune.training.trainer import DATA_FILES, data_file_for, default_variants

    assert TRAINED_VARIANTS == ("ft", "hybrid") and ALWAYS == ("base", "few-shot", "rag")
    assert SIMPLICITY == {"base": 0, "few-shot": 1, "rag": 2, "ft": 3, "hybrid": 4}
    assert {v.prompt for v in variants.VARIANTS.values()} <= set(PROMPTS)
    assert {v.data for v in variants.VARIANTS.values() if v.trained} <= set(DATA_FILES)
    assert [data_file_for(v, "lora") for v in TRAINED_VARIANTS] == ["data/sft.jsonl", "data/raft.jsonl"]
    assert default_variants("cpt") == ["ft"] and default_variants("full") == ["ft", "hybrid"]
    with pytest.raises(InputError, match="not RAFT rows: train the hybrid variant"):
        data_file_for("hybrid", "cpt")
    arms = [{"name": n, "variant": n} for n in variants.names()]
    cost = costs(arms, {}, {"ft": 10.0, "hybrid": 20.0}, 1.0, 2.0, 3.6)["arms"]
    assert {n: cost[n]["update_s"] for n in cost} == {"base": None, "few-shot": None, "rag": 2.0, "ft": 11.0,
                                                         "hybrid": 23.0}
    assert cost["hybrid"]["update_how"] == "re-index, rebuild the RAFT data and retrain"


def test_config_accepts_exactly_the_registered_names(tmp_path):
    init_project(tmp_path / "p")
    cfg = load_config(tmp_path / "p", ["evaluation.variants=[hybrid, base]"])
    assert cfg.evaluation.variants == ["hybrid", "base"]
    assert load_config(tmp_path / "p").evaluation.variants == list(variants.compared())
    assert load_config(tmp_path / "p").evaluation.task_variants == list(variants.names())
    for name in variants.names():
        assert ArmConfig(name="a", variant=name).variant == name
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "p", ["evaluation.variants=[rag, qa]"])
    assert "evaluation.variants" in str(info.value) and KNOWN in str(info.value)
    with pytest.raises(ValidationError, match=KNOWN):
        ArmConfig(name="a", variant="qa")
    with pytest.raises(ConfigError, match="'lora', 'full' or 'cpt'"):
        load_config(tmp_path / "p", ["training.method=qlora"])


def test_schema_lists_the_registered_names():
    defs = config_schema()["$defs"]
    assert defs["ArmConfig"]["properties"]["variant"]["enum"] == list(variants.names())
    assert defs["EvaluationConfig"]["properties"]["variants"]["items"]["enum"] == list(variants.names())
    assert defs["TrainingConfig"]["properties"]["method"]["enum"] == list(variants.METHODS)


@pytest.mark.parametrize(("argv", "allowed"), [
    (["ask", "p", "q", "--variant"], variants.names()),
    (["train", "p", "--variant"], (*variants.trained(), "all")),
    (["export", "p", "out", "--variant"], variants.trained()),
    (["train", "p", "--method"], tuple(variants.METHODS)),
])
def test_cli_accepts_exactly_the_registered_names(capsys, argv, allowed):
    parser = _parser()
    for name in allowed:
        args = parser.parse_args([*argv, name])
        assert getattr(args, argv[-1].removeprefix("--")) == name
    with pytest.raises(SystemExit):
        parser.parse_args([*argv, "qa"])
    assert f"invalid choice: 'qa' (choose from {', '.join(map(repr, allowed))})" in capsys.readouterr().err


def test_cli_defaults_and_arms():
    assert _parser().parse_args(["ask", "p", "q"]).variant == variants.DEFAULT_ASK
    assert _parser().parse_args(["export", "p", "out"]).variant == variants.DEFAULT_TRAINED
    assert [_arm(f"a={name}").variant for name in variants.names()] == list(variants.names())
    with pytest.raises(SystemExit, match=r"unknown variant 'qa' \(base, few-shot, rag, ft, hybrid\)"):
        _arm("a=qa")
