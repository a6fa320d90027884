"""The typed contents of a run's results.json: what ``compare`` writes and the report, summary, recommendation
and CLI read.

Every field is tolerant (``ragtune.results.fields``): a run left partial or malformed still loads, with the
broken pieces missing. Unknown keys are kept, so a file round-trips. docs/results.md's field reference is
generated from these models (``python -m ragtune.results.reference``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ragtune.results.fields import Count, Flag, Mapping, Number, Text, Texts, entries, maybe, table

SCHEMA = 1  # the results.json layout this ragtune writes and reads
# Besides accuracy, the metrics on which the recommendation will not prefer a simpler arm that is significantly
# worse, so compare tests each of them pairwise (with freshness, on the update questions).
GUARDS = ("f1", "hallucination", "faithfulness")
COMPARED = ("accuracy", *GUARDS)


class Record(BaseModel):
    """A part of a run file: unknown keys kept, dumped with only the keys it was given."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready mapping, as read or as built (keys never given are left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class Interval(Record):
    """A mean over ``n`` questions with its percentile bootstrap interval."""

    mean: Number = Field(None, description="the mean over the questions the metric applies to")
    low: Number = Field(None, description="lower bound of the bootstrap interval")
    high: Number = Field(None, description="upper bound of the bootstrap interval")
    n: Count = Field(None, description="how many questions the metric applies to")


class Comparison(Record):
    """A paired test of arm a against arm b on one metric (diff = a - b), on the questions both were scored on."""

    metric: Text = Field(None, description="accuracy, f1, hallucination, faithfulness or freshness")
    a: Text = Field(None, description="the first arm")
    b: Text = Field(None, description="the second arm")
    diff: Number = Field(None, description="mean difference a - b")
    low: Number = Field(None, description="lower bound of the difference's bootstrap interval")
    high: Number = Field(None, description="upper bound of the difference's bootstrap interval")
    p: Number = Field(None, description="sign-flip permutation test p-value")
    significant: Flag = Field(None, description="whether the interval leaves out zero")
    n: Count = Field(None, description="questions both arms were scored on")


class Arm(Record):
    """One compared row: a variant with optional config changes."""

    name: str = Field(description="the arm's name (the variant's, or an extra arm's own)")
    variant: Text = Field(None, description="base, rag, ft or hybrid")
    set: Mapping = Field(default_factory=dict, description="config changes of an extra arm, key -> value")

    @model_validator(mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        return {"name": value, "variant": value} if isinstance(value, str) else value  # old files: a bare name


class Leakage(Record):
    """The check of the test questions against the training data."""

    checked: Count = Field(None, description="training rows compared with the test questions")
    max_similarity: Number = Field(None, description="the closest similarity found")
    threshold: Number = Field(None, description="the similarity above which a row counts as a copy")
    files: Texts = Field(default_factory=list, description="the training data files checked")


class Questions(Record):
    """The held-out questions the run used."""

    file: Text = Field(None, description="the test split, relative to the project")
    total: Count = Field(None, description="questions in the split")
    used: Count = Field(None, description="questions asked (after evaluation.limit)")
    answerable: Count = Field(None, description="used questions the documents answer")
    unanswerable: Count = Field(None, description="used questions the documents do not answer")
    limit: Count = Field(None, description="the limit in force")
    leakage: maybe(Leakage) = Field(None, description="the leakage check")


class KnowledgeBaseInfo(Record):
    """The knowledge base version the run answered from."""

    version: Count = Field(None, description="the knowledge base version")
    fingerprint: Text = Field(None, description="a hash of its documents and chunking")
    documents: Count = Field(None, description="documents in it")
    chunks: Count = Field(None, description="chunks in it")


class TrainedModel(Record):
    """A trained variant's model as the run found it."""

    method: Text = Field(None, description="lora or full")
    base_model: Text = Field(None, description="the model it was trained from")
    trained: Text = Field(None, description="when it was trained (ISO 8601)")
    training_s: Number = Field(None, description="training wall time")
    stale: Texts = Field(default_factory=list, description="why it is out of date, if it is")
    data: Text = Field(None, description="the training data file it learned from")
    learned_from: table(int) = Field(default_factory=dict, description="train rows of that file by origin "
                                     "(question_set, paraphrase, task:<name>, ...)")
    epochs: Number = Field(None, description="passes over those rows it trained for")
    steps: Count = Field(None, description="optimizer steps it ran")
    planned_steps: Count = Field(None, description="steps planned before a time budget cut them (none: not cut)")


class Performance(Record):
    """An arm's measured speed and size."""

    latency_p50_s: Number = Field(None, description="median seconds to answer one question alone")
    latency_p95_s: Number = Field(None, description="95th percentile of the same")
    ttft_p50_s: Number = Field(None, description="median seconds to the first generated token")
    decode_tokens_per_s: Number = Field(None, description="median generation speed of one answer")
    probes: Count = Field(None, description="questions timed alone")
    batch_s_per_question: Number = Field(None, description="seconds per question answered in batches")
    throughput_qps: Number = Field(None, description="questions per second in batches")
    generated_tokens_per_s: Number = Field(None, description="generated tokens per second in batches")
    prompt_tokens_mean: Number = Field(None, description="mean prompt length")
    completion_tokens_mean: Number = Field(None, description="mean answer length")
    weights_mb: Number = Field(None, description="model weights in memory (null for an endpoint)")
    index_mb: Number = Field(None, description="knowledge base size (retrieving arms)")
    peak_rss_mb: Number = Field(None, description="peak process memory while answering")


class ArmCost(Record):
    """What an arm costs to serve, to train and to bring up to date."""

    per_1k_queries_usd: Number = Field(None, description="$ per 1,000 questions at the batched speed")
    training_s: Number = Field(None, description="training seconds (trained variants)")
    training_usd: Number = Field(None, description="training $")
    update_s: Number = Field(None, description="seconds to take in a knowledge update (null: cannot)")
    update_usd: Number = Field(None, description="$ of one update")
    update_how: Text = Field(None, description="how an update reaches the arm")


class Cost(Record):
    """Costs at the configured hourly price."""

    hourly_usd: Number = Field(None, description="the price of an hour of compute")
    arms: table(ArmCost) = Field(default_factory=dict, description="arm -> its costs")


class FreshArm(Record):
    """One arm's answers to the update questions, before and after the update."""

    before: table(Number) = Field(default_factory=dict, description="share of outcomes new / old / idk / other")
    after: table(Number) = Field(default_factory=dict, description="the same after the update")
    updated: maybe(Interval) = Field(None, description="share answered in line with the updated documents")
    reused_answers: Flag = Field(None, description="true for arms that do not retrieve (not re-asked)")


class Freshness(Record):
    """The document update applied without retraining, and what each arm answered."""

    update: Text = Field(None, description="the update folder applied")
    kb_before: Count = Field(None, description="knowledge base version before")
    kb_after: Count = Field(None, description="knowledge base version after")
    reindex_s: Number = Field(None, description="seconds to re-index the changed documents")
    documents: table(Count) = Field(default_factory=dict, description="documents added / changed / removed")
    questions: Count = Field(None, description="update questions asked")
    by_kind: table(Count) = Field(default_factory=dict, description="update questions per kind")
    arms: table(FreshArm) = Field(default_factory=dict, description="arm -> its outcomes")


class JudgeInfo(Record):
    """The judge model that graded the answers."""

    backend: Text = Field(None, description="local or openai")
    model: Text = Field(None, description="the judge model")
    base_url: Text = Field(None, description="its endpoint (openai backend)")


class Stage(Record):
    """One stage of the run and its wall time."""

    name: Text = Field(None, description="what the stage did")
    seconds: Number = Field(None, description="its wall time")


class Recommendation(Record):
    """The chosen arm (None when nothing qualifies) with its reasons, exclusions, ranking and caveats."""

    choice: Text = Field(None, description="the recommended arm (null: none qualifies)")
    variant: Text = Field(None, description="its variant")
    reasons: Texts = Field(default_factory=list, description="the evidence for the choice")
    excluded: table(str) = Field(default_factory=dict, description="arm -> why it was excluded")
    ranking: Texts = Field(default_factory=list, description="the arms in the running, best first")
    caveats: Texts = Field(default_factory=list, description="what limits the evidence")
    constraints: Mapping = Field(default_factory=dict, description="the team's constraints weighed")
    workloads: table(str) = Field(default_factory=dict, description="task -> the arm recommended for it")
    combination: Text = Field(None, description="the arm serving questions and tasks together, when they favour "
                                                "different arms")

    @model_validator(mode="before")
    @classmethod
    def _excluded(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("excluded"), list):  # older files: a list of reasons
            value = {**value, "excluded": {str(i + 1): str(x) for i, x in enumerate(value["excluded"])}}
        return value

    def lines(self) -> list[str]:
        """A human summary for the terminal."""
        if self.choice is None:
            head = "Recommendation: none (no arm qualifies)"
        elif self.variant and self.variant != self.choice:
            head = f"Recommendation: {self.choice} (variant {self.variant})"
        else:
            head = f"Recommendation: {self.choice}"
        out = [head, *(f"  - {reason}" for reason in self.reasons)]
        if self.ranking:
            out.append("Ranking: " + " > ".join(self.ranking))
        if self.excluded:
            out.append("Excluded:")
            out += [f"  - {arm}: {why}" for arm, why in self.excluded.items()]
        if self.workloads:
            out.append("Per task: " + ", ".join(f"{task} -> {arm}" for task, arm in self.workloads.items())
                       + (f"; together: {self.combination}" if self.combination else ""))
        if self.caveats:
            out.append("Caveats:")
            out += [f"  - {caveat}" for caveat in self.caveats]
        return out


class ClassScore(Record):
    """One class of a classification task."""

    precision: Number = Field(None, description="rows predicted as the class that are of it")
    recall: Number = Field(None, description="rows of the class predicted as it")
    f1: Number = Field(None, description="harmonic mean of the two")
    support: Count = Field(None, description="test rows of the class")


class TaskArm(Record):
    """One arm's results on one task."""

    metrics: table(Interval) = Field(default_factory=dict, description="per-row metric -> interval")
    macro_f1: Number = Field(None, description="classify: the mean F1 over the classes")
    classes: table(ClassScore) = Field(default_factory=dict, description="classify: label -> its scores")
    confusion: table(table(Count)) = Field(default_factory=dict, description="classify: gold -> answered -> rows")
    fields: table(table(Number)) = Field(default_factory=dict, description="extract: field -> exact / f1 means")
    rules: table(table(Number)) = Field(default_factory=dict, description="generate: rule -> strict / loose "
                                                                          "pass shares")
    scoring: Text = Field(None, description="choice: log-likelihood (local model) or written answer (endpoint)")
    seconds: Number = Field(None, description="wall time to answer the task's rows")


class TaskResult(Record):
    """A task evaluated beside the questions: its kind and each arm's scores."""

    kind: Text = Field(None, description="classify, extract, generate or choice")
    primary: Text = Field(None, description="the per-row metric the task is judged by")
    rows: Count = Field(None, description="test rows used")
    train_rows: Count = Field(None, description="train rows (few-shot examples and training data)")
    chance: Number = Field(None, description="choice: the accuracy of guessing")
    arms: table(TaskArm) = Field(default_factory=dict, description="arm -> its results")
    comparisons: entries(Comparison) = Field(default_factory=list, description="paired tests between arms")


class RunResults(Record):
    """A comparison run's results.json."""

    schema_version: Count = Field(SCHEMA, alias="schema", description="the layout version of this file")
    run_id: Text = Field(None, description="the run folder's name, YYYYMMDD-HHMMSS")
    created: Text = Field(None, description="when the run finished (ISO 8601, UTC)")
    project: Text = Field(None, description="the project's name")
    arms: entries(Arm) = Field(default_factory=list, description="the compared arms, in order")
    questions: maybe(Questions) = Field(None, description="the held-out questions used")
    retrieval_k: Count = Field(None, description="chunks retrieved per question")
    kb: maybe(KnowledgeBaseInfo) = Field(None, description="the knowledge base answered from")
    models: table(TrainedModel) = Field(default_factory=dict, description="trained variant -> its model")
    metrics: table(table(Interval)) = Field(default_factory=dict, description="arm -> metric -> interval")
    comparisons: entries(Comparison) = Field(default_factory=list, description="paired tests between arms")
    performance: table(Performance) = Field(default_factory=dict, description="arm -> speed and size")
    cost: maybe(Cost) = Field(None, description="costs per arm")
    freshness: maybe(Freshness) = Field(None, description="the freshness measurement (null without --freshness)")
    judge: maybe(JudgeInfo) = Field(None, description="the judge (null without one)")
    stages: entries(Stage) = Field(default_factory=list, description="wall time per stage")
    warnings: Texts = Field(default_factory=list, description="warnings raised while answering")
    tasks: table(TaskResult) = Field(default_factory=dict, description="task -> its results (none: no tasks)")
    multiple_choice: maybe(TaskResult) = Field(None, description="the test questions that carry choices, scored as "
                                                                 "a choice task by every arm (null: none do)")
    recommendation: maybe(Recommendation) = Field(None, description="the recommendation (null: none made)")
    config: Mapping = Field(default_factory=dict, description="the project configuration used")
    versions: table(str) = Field(default_factory=dict, description="package -> version")
    _notes: list[str] = PrivateAttr(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """What reading the file noticed (a newer layout); shown with the warnings, never written back."""
        return self._notes

    def arm_names(self) -> list[str]:
        """The arms in order: ``arms`` first, then any other arm named in metrics, performance or cost."""
        names: list[str] = []
        tables = [[a.name for a in self.arms], self.metrics, self.performance, self.cost.arms if self.cost else {}]
        for found in tables:
            names.extend(str(n) for n in found if n and str(n) not in names)
        return names

    def variant_of(self, arm: str) -> str:
        """The variant an arm runs (its own name when the file does not say)."""
        return next((a.variant or a.name for a in self.arms if a.name == arm), arm)

    def metric(self, arm: str, name: str) -> Interval:
        """An arm's interval for one aggregate metric (empty when missing)."""
        return (self.metrics.get(arm) or {}).get(name) or Interval()

    def perf(self, arm: str) -> Performance:
        """An arm's performance figures (empty when missing)."""
        return self.performance.get(arm) or Performance()

    def arm_cost(self, arm: str) -> ArmCost:
        """An arm's costs (empty when missing)."""
        return (self.cost.arms.get(arm) if self.cost else None) or ArmCost()

    def total_seconds(self) -> float:
        """The run's wall time: the sum of its stages."""
        return sum(s.seconds for s in self.stages if s.seconds is not None)
