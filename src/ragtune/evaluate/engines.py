"""Answer engines: where `ragtune compare` generates the arms' answers (``evaluation.engine``).

``local`` (the default) generates in this process. ``ray`` starts Ray actors (``evaluation.ray_workers``) that
each build the project's runtime from its folder with the same settings and load each model once (or call the
endpoint the project answers with). What runs where, per arm:

- here: retrieval, the few-shot examples, the prompts, citations, the grounding check and the scoring (cheap next
  to generating);
- on the actors: generation, for the test questions, the freshness re-asks and the tasks, and the log-likelihood
  scoring of choices. The prompts are cut into the batches this process would form (``length_batches`` for
  ``chat_batch``, ``loglik_groups`` for ``option_logliks``), each batch goes whole to the next free actor, and the
  results come back in the prompts' order: the same batches give the same answers and scores (at fp32 and greedy,
  equal to a local run's);
- on the first actor: the latency probes (one question at a time, on that actor's CPU share) and the model's
  size. Peak memory is the highest of the actors'; an arm's throughput is the whole cluster's.

On a cluster the project folder must be at the same path on every node (an actor refuses a configuration that
differs from this process's), and its knowledge base in PostgreSQL so the actors' probes can read it.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ragtune.answer import Answer, ask_many, generate_here
from ragtune.errors import RagtuneError
from ragtune.evaluate import probe
from ragtune.generate.base import length_batches
from ragtune.generate.loglik import loglik_groups, option_logliks
from ragtune.project import Project
from ragtune.rayutil import EVALUATION, connect, error_cause, import_ray
from ragtune.runtime import Runtime

if TYPE_CHECKING:
    from ragtune.config import ProjectConfig
    from ragtune.generate.base import Generation, Messages

READY_S = 180.0  # how long the actors may take to be placed and started


class Memory(Protocol):
    """A context measuring peak memory while answering: ``peak_mb`` once it has exited."""

    peak_mb: float

    def __enter__(self) -> Memory: ...

    def __exit__(self, *exc: object) -> None: ...


class AnswerEngine(Protocol):
    """Answers an arm's questions in batches and measures its serving figures."""

    name: str
    label: str
    """How stage names say where answers were generated ("" here, " on 2 Ray workers")."""
    probe_label: str
    """The same for the latency probes ("" here, " on one Ray worker")."""

    def ask_many(self, runtime: Runtime, questions: list[str], variant: str) -> list[Answer]:
        """The answers in the questions' order, as ``ragtune.answer.ask_many`` gives them."""
        ...

    def chat_batch(self, runtime: Runtime, variant: str, chats: list[Messages],
                   kwargs: dict[str, Any]) -> list[Generation]:
        """The variant's generator's ``chat_batch`` of ``chats`` (a task's rows), in their order."""
        ...

    def scores_options(self, runtime: Runtime, variant: str) -> bool:
        """Whether the variant is a local model, which scores a choice's options by log-likelihood."""
        ...

    def option_logliks(self, runtime: Runtime, variant: str,
                       items: list[tuple[Messages, list[str]]]) -> list[list[float]]:
        """``ragtune.generate.loglik.option_logliks`` of the variant's model, in the items' order."""
        ...

    def latency(self, runtime: Runtime, variant: str, questions: list[str]) -> dict[str, Any]:
        """``probe.latency``'s figures: the questions answered alone, streamed."""
        ...

    def weights_mb(self, runtime: Runtime, variant: str) -> float | None:
        """The size of the variant's model weights in memory (None: an endpoint)."""
        ...

    def memory(self) -> Memory:
        """A context measuring the peak memory of the processes that answer."""
        ...

    def describe(self) -> dict[str, Any]:
        """What an arm's performance figures record about the engine (nothing for ``local``)."""
        ...

    def close(self) -> None:
        """Release what the engine started."""
        ...


class LocalAnswering:
    """Answers in this process (today's path)."""

    name = "local"
    label = probe_label = ""

    def ask_many(self, runtime: Runtime, questions: list[str], variant: str) -> list[Answer]:
        return ask_many(runtime, questions, variant)

    def chat_batch(self, runtime: Runtime, variant: str, chats: list[Messages],
                   kwargs: dict[str, Any]) -> list[Generation]:
        return runtime.generator_for(variant)[0].chat_batch(chats, **kwargs)

    def scores_options(self, runtime: Runtime, variant: str) -> bool:
        return scores_options(runtime, variant)

    def option_logliks(self, runtime: Runtime, variant: str,
                       items: list[tuple[Messages, list[str]]]) -> list[list[float]]:
        return option_logliks(runtime.generator_for(variant)[0], items)

    def latency(self, runtime: Runtime, variant: str, questions: list[str]) -> dict[str, Any]:
        return probe.latency(runtime, variant, questions)

    def weights_mb(self, runtime: Runtime, variant: str) -> float | None:
        return probe.weights_mb(runtime.generator_for(variant)[0])

    def memory(self) -> Memory:
        return probe.PeakMemory()

    def describe(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


def batches(count: int, lengths: list[int] | None, size: int) -> list[list[int]]:
    """The prompts' indices, batch by batch, as the local generator cuts them (``length_batches``); without
    lengths (an endpoint), in input order."""
    if lengths is not None:
        return length_batches(lengths, size)
    return [list(range(start, min(start + size, count))) for start in range(0, count, size)]


@dataclass(frozen=True)
class Target:
    """What an actor rebuilds an arm's runtime from: its settings and (to check them, and for compare's
    freshness copy) the configuration they give here."""

    overrides: tuple[str, ...]
    config: ProjectConfig


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux, bytes on macOS
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


class AnswerActor:
    """A Ray actor's state: the project's runtime, built once; each model is loaded on first use, then kept."""

    def __init__(self, root: str, threads: int):
        import torch

        torch.set_num_threads(threads)  # its CPU share (Ray sets OMP_NUM_THREADS too, torch may not follow)
        self.base = Runtime.load(root)

    def ready(self) -> bool:
        """True once started (the driver waits on it)."""
        return True

    def _runtime(self, target: Target) -> Runtime:
        runtime = self.base.with_overrides(target.overrides)
        cfg, here = target.config, runtime.project.config
        if (cfg.documents, cfg.store) != (here.documents, here.store):  # compare's freshness copy
            runtime = runtime.with_documents(Project(runtime.project.root, cfg))
        if runtime.project.config.model_dump(mode="json") != cfg.model_dump(mode="json"):
            import socket

            raise RagtuneError(f"the Ray worker on {socket.gethostname()} reads another configuration from "
                               f"{runtime.project.root}: the project folder must be the same, at the same path, on "
                               "every node of the cluster")
        return runtime

    def lengths(self, target: Target, variant: str, messages: list[Messages]) -> tuple[list[int] | None, int]:
        """The prompts' lengths in the variant's tokens (None: an endpoint) and its generator's batch size."""
        runtime = self._runtime(target)
        generator, _ = runtime.generator_for(variant)
        cfg = getattr(generator, "cfg", None) or runtime.project.config.generation
        encode = getattr(generator, "encode", None)
        return ([len(encode(m)) for m in messages] if encode is not None else None), cfg.batch_size

    def generate(self, target: Target, variant: str, allowed: frozenset[str] | None, messages: list[Messages],
                 kwargs: dict[str, Any]) -> tuple[list[Generation], list[str]]:
        """One batch, generated as ``ask_many`` generates here."""
        return generate_here(self._runtime(target), variant, allowed, messages, kwargs)

    def scores_options(self, target: Target, variant: str) -> bool:
        """Whether the variant is a local model (``scores_options``)."""
        return scores_options(self._runtime(target), variant)

    def logliks(self, target: Target, variant: str, items: list[tuple[Messages, list[str]]]) -> list[list[float]]:
        """One batch of ``option_logliks``, scored as it is scored here."""
        return option_logliks(self._runtime(target).generator_for(variant)[0], items)

    def latency(self, target: Target, variant: str, questions: list[str]) -> dict[str, Any]:
        """``probe.latency`` on this actor."""
        return probe.latency(self._runtime(target), variant, questions)

    def weights_mb(self, target: Target, variant: str) -> float | None:
        """The variant's model size, loaded here."""
        return probe.weights_mb(self._runtime(target).generator_for(variant)[0])

    def peak_rss_mb(self) -> float:
        """This actor's peak memory so far."""
        return peak_rss_mb()


class _ActorsPeak:
    """Peak memory of the actors: the highest of their processes' peaks, read on exit."""

    def __init__(self, engine: RayAnswering) -> None:
        self.engine = engine
        self.peak_mb = 0.0

    def __enter__(self) -> _ActorsPeak:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.peak_mb = self.engine.peak_rss_mb()


class RayAnswering:
    """Generates on Ray actors that each hold the models; see the module's docstring.

    ``address``: a running cluster's (``ray://host:10001`` or ``host:6379``); None starts a local Ray (or joins
    the one ``RAY_ADDRESS`` names, or the one this process already joined). ``workers``: how many actors (None:
    one per GPU when the project generates on one, else one per CPU); each gets an equal share of the cluster's
    CPUs (at most a node's) and uses that many torch threads.
    """

    name = "ray"
    probe_label = " on one Ray worker"

    def __init__(self, root: str, address: str | None = None, workers: int | None = None, gpu: bool = False,
                 actor: type = AnswerActor):
        self.ray = import_ray(EVALUATION)
        self.actors: list[Any] = []
        self._started = connect(self.ray, address, EVALUATION)
        try:
            self.workers, options, threads = self._shares(workers, gpu)
            remote = self.ray.remote(actor).options(**options)
            self.actors = [remote.remote(root, threads) for _ in range(self.workers)]
            self._ready(options)
        except BaseException:
            self.close()
            raise
        self.label = f" on {self.workers} Ray worker{'s' if self.workers > 1 else ''}"

    def _shares(self, workers: int | None, gpu: bool) -> tuple[int, dict[str, Any], int]:
        """How many actors, each one's Ray resources, and its torch threads."""
        ray = self.ray
        resources = ray.cluster_resources()
        cpus, gpus = float(resources.get("CPU", 1)), int(resources.get("GPU", 0))
        if gpu and gpus:
            count = workers or gpus
            return count, {"num_gpus": min(1.0, gpus / count), "num_cpus": 0}, 1
        count = workers or max(1, int(cpus))
        node = max((n["Resources"].get("CPU", 0) for n in ray.nodes() if n.get("Alive")), default=cpus)
        share = min(cpus / count, node)
        share = float(int(share)) if share >= 1 else share  # whole CPUs when each gets at least one
        return count, {"num_cpus": share}, max(1, int(share))

    def _ready(self, options: dict[str, Any]) -> None:
        ray = self.ray
        try:
            ray.get([a.ready.remote() for a in self.actors], timeout=READY_S)
        except ray.exceptions.GetTimeoutError:
            each = ", ".join(f"{v:g} {k.removeprefix('num_').upper()}" for k, v in options.items() if v)
            raise RagtuneError(
                f"the Ray cluster did not start {self.workers} answering workers ({each} each) in {READY_S:.0f} s: "
                "lower --workers (evaluation.ray_workers), free the cluster, or compare without --engine ray"
            ) from None
        except ray.exceptions.RayError as exc:
            raise _error(exc, "starting") from None

    def _get(self, refs: Any) -> Any:
        try:
            return self.ray.get(refs)
        except self.ray.exceptions.RayError as exc:
            raise _error(exc, "answering") from None

    def ask_many(self, runtime: Runtime, questions: list[str], variant: str) -> list[Answer]:
        return ask_many(runtime, questions, variant, generate=self._generate)

    def _generate(self, runtime: Runtime, variant: str, allowed: frozenset[str] | None, messages: list[Messages],
                  kwargs: dict[str, Any]) -> tuple[list[Generation], list[str]]:
        """``ask_many``'s generation: the local batches, each whole on the next free actor, put back in order."""
        target = self.ray.put(self._target(runtime))
        lengths, size = self._get(self.actors[0].lengths.remote(target, variant, messages))
        chunks = batches(len(messages), lengths, size) or [[]]
        numbers = kwargs.get("numbers")

        def submit(actor: Any, chunk: list[int]) -> Any:
            part = kwargs if numbers is None else {**kwargs, "numbers": [numbers[i] for i in chunk]}
            return actor.generate.remote(target, variant, allowed, [messages[i] for i in chunk], part)

        done = self._map(submit, chunks)
        return _in_order(len(messages), chunks, [generated for generated, _ in done]), done[0][1]

    def _map(self, submit: Callable[[Any, list[int]], Any], chunks: list[list[int]]) -> list[Any]:
        """Each chunk on the next free actor (``submit(actor, chunk)`` returns its call); the results in order."""
        from ray.util import ActorPool

        try:
            return list(ActorPool(self.actors).map(submit, chunks))
        except self.ray.exceptions.RayError as exc:
            raise _error(exc, "answering") from None

    def chat_batch(self, runtime: Runtime, variant: str, chats: list[Messages],
                   kwargs: dict[str, Any]) -> list[Generation]:
        return self._generate(runtime, variant, None, chats, kwargs)[0]

    def scores_options(self, runtime: Runtime, variant: str) -> bool:
        return self._get(self.actors[0].scores_options.remote(self._target(runtime), variant))

    def option_logliks(self, runtime: Runtime, variant: str,
                       items: list[tuple[Messages, list[str]]]) -> list[list[float]]:
        """The batches ``option_logliks`` forms here (``loglik_groups``), each whole on the next free actor."""
        if not items:
            return []
        target = self.ray.put(self._target(runtime))
        lengths, _ = self._get(self.actors[0].lengths.remote(target, variant, [chat for chat, _ in items]))
        groups = loglik_groups(lengths, [len(options) for _, options in items])
        done = self._map(lambda actor, group: actor.logliks.remote(target, variant, [items[i] for i in group]),
                         groups)
        return _in_order(len(items), groups, done)

    def latency(self, runtime: Runtime, variant: str, questions: list[str]) -> dict[str, Any]:
        return self._get(self.actors[0].latency.remote(self._target(runtime), variant, questions))

    def weights_mb(self, runtime: Runtime, variant: str) -> float | None:
        return self._get(self.actors[0].weights_mb.remote(self._target(runtime), variant))

    def memory(self) -> Memory:
        return _ActorsPeak(self)

    def peak_rss_mb(self) -> float:
        """The highest of the actors' peak memory so far, in MB."""
        return max(self._get([actor.peak_rss_mb.remote() for actor in self.actors]))

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": self.workers}

    @staticmethod
    def _target(runtime: Runtime) -> Target:
        return Target(runtime.overrides, runtime.project.config)

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors = []
        if self._started:
            self.ray.shutdown()
            self._started = False


def _in_order(count: int, chunks: list[list[int]], results: list[list[Any]]) -> list[Any]:
    """The chunks' results put back at their items' places."""
    ordered: list[Any] = [None] * count
    for chunk, values in zip(chunks, results):
        for index, value in zip(chunk, values):
            ordered[index] = value
    return ordered


def scores_options(runtime: Runtime, variant: str) -> bool:
    """Whether the variant is a local model, which scores a choice's options by log-likelihood (an endpoint
    writes a letter instead)."""
    return hasattr(runtime.generator_for(variant)[0], "model")


def _error(exc: BaseException, doing: str) -> RagtuneError:
    """A Ray worker's error: its own RagtuneError when it raised one, else one naming the cause."""
    cause: Any = exc
    for _ in range(8):  # Ray wraps the worker's exception (an actor's start failure twice) in its own classes
        if isinstance(cause, RagtuneError) and not type(cause).__module__.startswith("ray."):
            return cause
        cause = getattr(cause, "cause", None) or cause.__cause__
        if not isinstance(cause, BaseException):
            break
    return RagtuneError(f"a Ray worker failed while {doing} ({error_cause(exc)}); nothing was written: "
                        "see `ray status` and the workers' logs, or compare without --engine ray")


def make_answering(runtime: Runtime) -> AnswerEngine:
    """The engine ``evaluation.engine`` names, for ``runtime``'s project."""
    cfg = runtime.project.config
    ev = cfg.evaluation
    if ev.engine == "ray":
        gpu = cfg.generation.device != "cpu" and cfg.generation.backend == "local"
        return RayAnswering(str(runtime.project.root.resolve()), ev.ray_address, ev.ray_workers, gpu=gpu)
    return LocalAnswering()
