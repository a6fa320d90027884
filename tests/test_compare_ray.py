"""`compare --engine ray`: the same answers, metrics and run folder as a local compare; errors that say what to do."""

from __future__ import annotations

import shutil
import sys

import pytest
from conftest import set_config

ray = pytest.importorskip("ray")

from ragtune import ConfigError, compare, load_config  # noqa: E402
from ragtune.errors import MissingDependencyError, RagtuneError  # noqa: E402
from ragtune.evaluate.engines import AnswerActor, RayAnswering, batches  # noqa: E402
from ragtune.generate.loglik import loglik_groups  # noqa: E402
from ragtune.project import Project  # noqa: E402
from ragtune.rayutil import EVALUATION, check_reachable  # noqa: E402
from ragtune.results import load_samples  # noqa: E402
from ragtune.runtime import Runtime  # noqa: E402

# fp32 and greedy, so the answers can be compared string for string; batches of 2 so both actors get some
FAST = ["retrieval.k=2", "evaluation.latency_probes=1", "evaluation.bootstrap=100", "generation.max_new_tokens=16",
        "generation.dtype=float32", "generation.batch_size=2"]


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray for the module (2 CPUs, quiet); the engine joins it and leaves it running."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def runs(example_project, tmp_path_factory):
    """The same compare (base and rag, 4 questions, a classification task and a multiple-choice one of 2 rows each)
    locally and on 2 actors. (Freshness re-asks through the same engine: a run with it gave equal answers too, but
    costs 30 s more; its copy's runtime is checked below.)"""
    root = tmp_path_factory.mktemp("compare-ray") / "aldermoor"
    shutil.copytree(example_project, root)
    tasks = ["evaluation.task_variants=[base,rag]", "tasks.route_ticket.limit=2", "tasks.policy_quiz.limit=2"]
    kwargs = {"variants": ["base", "rag"], "limit": 4, "overrides": [*FAST, *tasks],
              "tasks": ["route_ticket", "policy_quiz"]}
    local = compare(root, **kwargs)
    lines: list[str] = []
    remote = compare(root, engine="ray", workers=2, log=lines.append, **kwargs)
    return root, local, remote, lines


def _samples(folder) -> dict:
    """The run's samples by (phase, arm, question), without their timings."""
    return {(s.phase, s.arm, s.id): {k: v for k, v in s.to_json().items() if k != "latency_s"}
            for s in load_samples(folder)}


def _tasks(run) -> dict:
    """The run's task results without their timings."""
    return {name: result.model_dump(exclude={"arms": {"__all__": {"seconds"}}})
            for name, result in run.results.tasks.items()}


def test_ray_compare_answers_and_scores_as_the_local_run(runs):
    root, local, remote, lines = runs
    expected, got = _samples(local.folder), _samples(remote.folder)
    assert len(expected) == 16 and {phase for phase, _, _ in expected} == {"test", "task"}  # (4 + 2 + 2) x 2 arms
    assert {k: v["answer"] for k, v in got.items()} == {k: v["answer"] for k, v in expected.items()}
    assert got == expected  # and so the same citations, grounding checks and metrics per question
    assert remote.results.metrics == local.results.metrics  # so the same scores and intervals
    assert remote.results.comparisons == local.results.comparisons
    assert _tasks(remote) == _tasks(local)  # written labels and options picked by log-likelihood
    assert remote.results.tasks["policy_quiz"].arms["rag"].scoring == "log-likelihood"


def test_ray_run_folder_is_a_local_runs_and_says_how_it_ran(runs):
    root, local, remote, lines = runs
    assert remote.folder.parent == local.folder.parent == root / "runs" and remote.folder != local.folder
    assert {p.name for p in remote.folder.iterdir()} == {p.name for p in local.folder.iterdir()}
    mine, theirs = remote.results.to_json(), local.results.to_json()
    assert set(mine) == set(theirs)
    assert [s["name"] for s in mine["stages"]] != [s["name"] for s in theirs["stages"]]
    assert any(s["name"] == "answer rag (4 questions on 2 Ray workers)" for s in mine["stages"])
    assert any(s["name"] == "task policy_quiz (choice, 2 variants on 2 Ray workers)" for s in mine["stages"])
    assert any("latency base (1 single questions on one Ray worker)" in line for line in lines)
    assert mine["config"]["evaluation"]["engine"] == "ray" and mine["config"]["evaluation"]["ray_workers"] == 2
    for arm in ("base", "rag"):
        perf, plain = mine["performance"][arm], theirs["performance"][arm]
        assert set(perf) == set(plain) | {"engine", "workers"}
        assert perf["engine"] == "ray" and perf["workers"] == 2 and "engine" not in plain
        assert perf["throughput_qps"] > 0 and perf["latency_p50_s"] > 0 and perf["probes"] == 1
        assert perf["weights_mb"] == plain["weights_mb"] and perf["peak_rss_mb"] > 100
    assert "on 2 Ray workers" in (remote.folder / "report.html").read_text(encoding="utf-8")


def test_an_actor_rebuilds_the_arms_runtime_and_refuses_another_config(runs):
    """What an actor answers with: the runtime of the arm's settings, over compare's freshness copy when the arm
    answers from it, and an error when the project reads differently on its node."""
    root = runs[0]
    actor = AnswerActor.__new__(AnswerActor)  # its state without a Ray process (and without torch threads)
    actor.base = Runtime.load(root)
    here = Runtime.load(root, FAST)
    config = here.project.config
    copy = Project(root, config.model_copy(update={"store": config.store.model_copy(update={"path": "copy/kb"}),
                                                   "documents": "copy/documents"}))
    arm = ["retrieval.k=1"]
    for runtime in (here.with_overrides(arm), here.with_documents(copy).with_overrides(arm)):
        rebuilt = actor._runtime(RayAnswering._target(runtime))
        assert rebuilt.project.config == runtime.project.config and rebuilt.project.config.retrieval.k == 1
    assert actor._runtime(RayAnswering._target(here.with_documents(copy))).project.config.store.path == "copy/kb"

    other = root.parent / "other"  # the same settings, but another ragtune.yaml on the worker's node
    shutil.copytree(root, other, ignore=shutil.ignore_patterns("kb", "runs"))
    set_config(other, "generation:\n  model: smollm2-135m-instruct\n  temperature: 0.5\n")
    actor.base = Runtime.load(other)
    with pytest.raises(RagtuneError, match="reads another configuration .*same path, on every node"):
        actor._runtime(RayAnswering._target(Runtime.load(root, FAST)))


def test_a_workers_failure_is_named(runs):
    """A worker's own RagtuneError comes back as it is; any other failure as one naming its cause."""
    from ragtune.errors import InputError

    class FailingActor:
        def __init__(self, root, threads):
            pass

        def ready(self):
            return True

        def lengths(self, target, variant, messages):
            return [1] * len(messages), 2

        def generate(self, target, variant, allowed, messages, kwargs):
            if "boom" in str(messages):
                raise RuntimeError("out of memory")
            raise InputError("the prompt has 9000 tokens")

    engine = RayAnswering(str(runs[0]), workers=2, actor=FailingActor)
    try:
        runtime = Runtime.load(runs[0], FAST)
        with pytest.raises(InputError, match="^the prompt has 9000 tokens$"):
            engine.ask_many(runtime, ["Who founded Aldermoor?"], "base")
        with pytest.raises(RagtuneError, match=r"a Ray worker failed while answering \(RuntimeError: out of memory\)"):
            engine.ask_many(runtime, ["boom", "boom boom", "boom!"], "base")
    finally:
        engine.close()
    assert engine.actors == []


def test_batches_are_the_local_generators():
    # chat_batch's rule (length_batches): longest prompt first, equal lengths in input order, batch_size at a time
    assert batches(5, [3, 5, 5, 1, 4], 2) == [[1, 2], [4, 0], [3]]
    assert batches(3, None, 2) == [[0, 1], [2]]  # an endpoint: input order
    assert batches(0, [], 8) == []
    # option_logliks' rule: shortest prompt first, items whose options add up to at most batch_size
    assert loglik_groups([5, 3, 3, 9], [4, 4, 4, 4], 8) == [[1, 2], [0, 3]]
    assert loglik_groups([2, 1], [20, 3], 16) == [[1], [0]]  # one item with more options is a batch of its own


def test_missing_ray_names_the_extra(runs, monkeypatch):
    root = runs[0]
    before = set((root / "runs").iterdir())
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r"evaluation\.engine ray .*ragtune\[ray\]") as info:
        compare(root, variants=["base"], limit=2, overrides=FAST, tasks=[], engine="ray")
    assert isinstance(info.value, ImportError)
    assert set((root / "runs").iterdir()) == before  # it failed before any work


def test_unreachable_address_says_what_to_do():
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RagtuneError, match=r"cannot reach the Ray cluster at '127\.0\.0\.1:\d+'.*ray start --head.*"
                                           r"evaluation\.ray_address.*compare without --engine ray"):
        check_reachable(f"127.0.0.1:{port}", EVALUATION, timeout=2)


def test_bad_engine_settings_name_the_key(tmp_path):
    from ragtune import init_project

    init_project(tmp_path / "p")
    with pytest.raises(ConfigError, match=r"evaluation\.ray_workers"):
        load_config(tmp_path / "p", ["evaluation.ray_workers=0"])
    with pytest.raises(ConfigError, match=r"evaluation\.engine"):
        load_config(tmp_path / "p", ["evaluation.engine=spark"])
