"""Typed project configuration (ragtune.yaml): load, validate, override, and describe as JSON schema."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ragtune.errors import ConfigError
from ragtune.tasks.rules import Rules
from ragtune.variants import METHODS, MethodName, VariantName, compared, described, names

CONFIG_FILE = "ragtune.yaml"
DEFAULT_GENERATOR = "smollm2-135m-instruct"
DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
PG_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # a plain PostgreSQL identifier


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ChunkingConfig(_Section):
    """How documents are cut into chunks (sizes in embedding-model tokens)."""

    size: int = Field(200, ge=16, le=8192, description="Target chunk size in tokens.")
    overlap: int = Field(40, ge=0, description="Tokens repeated between consecutive chunks of a section.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingConfig:
        if self.overlap >= self.size:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than size ({self.size})")
        return self


class EmbeddingConfig(_Section):
    """The sentence-transformers model that embeds chunks and queries."""

    model: str = Field(DEFAULT_EMBEDDER, description="Bundled name, sentence-transformers id, or local path.")
    batch_size: int = Field(64, ge=1, le=4096)
    device: str = Field("cpu", description="torch device: cpu, cuda, cuda:1, mps.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="auto: bfloat16 on CPUs with native bf16 (AVX512-BF16/AMX) and on GPUs, else float32."
    )

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(f"name a model: a bundled name ({DEFAULT_EMBEDDER}), a sentence-transformers id or a "
                             "local path")
        return value.strip()


class IngestConfig(_Section):
    """How `ragtune ingest` runs, and its per-file limits: a file over one is skipped with the reason (a document
    already in the knowledge base keeps its previous version), so one huge or hostile file never holds back the
    rest."""

    engine: Literal["local", "ray"] = Field(
        "local", description="Where files are parsed, chunked and embedded: local (this process) or ray (Ray "
                             "tasks and actors, `pip install 'ragtune[ray]'`); the commit is the same either way.")
    ray_address: str | None = Field(
        None, description="engine ray: the cluster to join (host:6379 or ray://host:10001); null: start a local "
                          "Ray (or join the one the RAY_ADDRESS environment variable names).")

    max_file_bytes: int = Field(50_000_000, ge=1, description="Largest file read, in bytes (checked before reading).")
    max_expanded_bytes: int = Field(
        100_000_000, ge=1, description="DOCX: largest total size of the zip's parts once uncompressed (checked "
                                       "before extracting: a zip bomb is refused).")
    max_text_chars: int = Field(
        5_000_000, ge=1, description="Most characters of text one file may yield (plain text and Markdown are "
                                     "also checked by size before reading).")
    max_chunks_per_file: int = Field(10_000, ge=1, description="Most chunks one file may be cut into.")


class StoreConfig(_Section):
    """Where chunks and vectors live: an embedded LanceDB folder or a PostgreSQL server with pgvector."""

    backend: Literal["lancedb", "pgvector"] = "lancedb"
    path: str = Field("kb", description="LanceDB folder, relative to the project (unused by pgvector).")
    url: str | None = Field(
        None,
        description="PostgreSQL connection URL (backend: pgvector), e.g. postgresql://user@host:5432/db, or "
                    "env:NAME to read it from the environment variable NAME so passwords stay out of ragtune.yaml.",
    )
    pg_schema: str | None = Field(
        None, description="PostgreSQL schema of this project's tables (backend: pgvector); "
                          "null: ragtune_<project folder name>.",
    )
    ef_search: int = Field(
        100, ge=10, le=1000, description="pgvector: HNSW search depth (hnsw.ef_search, at least k); higher finds "
                                         "more of the exact nearest chunks, slower (docs/benchmarks.md).",
    )

    @field_validator("pg_schema")
    @classmethod
    def _schema_name(cls, value: str | None) -> str | None:
        if value is not None and not PG_SCHEMA_NAME.fullmatch(value):
            raise ValueError("use lower-case letters, digits and underscores (at most 63, not starting with a digit)")
        return value

    @model_validator(mode="after")
    def _url_for_pgvector(self) -> StoreConfig:
        if self.backend == "pgvector" and not (self.url or "").strip():
            raise ValueError("backend 'pgvector' needs store.url (a postgresql:// URL, or env:NAME to read it "
                             "from an environment variable)")
        return self

    def schema_for(self, project_root: Path) -> str:
        """The PostgreSQL schema of a project: pg_schema, else ragtune_<folder name> as a plain identifier."""
        if self.pg_schema:
            return self.pg_schema
        name = re.sub(r"[^a-z0-9_]+", "_", Path(project_root).resolve().name.lower()).strip("_") or "project"
        return f"ragtune_{name}"[:63]

    def resolved_url(self) -> str:
        """The connection URL, read from the environment when ``url`` is ``env:NAME``."""
        url = (self.url or "").strip()
        if url.startswith("env:"):
            name = url[len("env:"):].strip()
            value = os.environ.get(name, "").strip()
            if not value:
                raise ConfigError(f"store.url is {url!r} but the environment variable {name} is not set: "
                                  f"export {name}=postgresql://user:password@host:5432/database")
            return value
        if not url:
            raise ConfigError("store.url is not set: give a postgresql:// URL or env:NAME")
        return url


LABEL = re.compile(r"[A-Za-z0-9_.@:-]{1,128}")
PUBLIC_LABEL = "public"


def check_labels(values: list[str]) -> list[str]:
    """Labels sorted and deduplicated; a ValueError names the first malformed one."""
    bad = [v for v in values if not LABEL.fullmatch(v)]
    if bad:
        raise ValueError(f"label {bad[0]!r}: use letters, digits and _ . @ : - (at most 128)")
    return sorted(set(values))


class AccessRule(_Section):
    """Access labels for the documents whose path matches a glob pattern."""

    path: str = Field(description="Glob on the document's path under documents/, e.g. 'hr/**' or '*.pdf'.")
    labels: list[str] = Field(description="Who may read matching documents: group names (or 'public').")

    _labels = field_validator("labels")(classmethod(lambda cls, v: check_labels(v)))


class ApiKey(_Section):
    """A server key and the reader it stands for (its answers use only documents that reader may see)."""

    name: str = Field(description="A name for logs and errors, e.g. the client application.")
    sha256: str | None = Field(None, description="SHA-256 (hex) of the key: `printf %s KEY | sha256sum`.")
    env: str | None = Field(None, description="Or: the environment variable that holds the key.")
    user: str | None = Field(None, description="A user of access.users: the key reads what that user may.")
    groups: list[str] = Field(default_factory=list, description="Groups (labels) the key may read.")

    _groups = field_validator("groups")(classmethod(lambda cls, v: check_labels(v)))

    @model_validator(mode="after")
    def _one_secret(self) -> ApiKey:
        if (self.sha256 is None) == (self.env is None):
            raise ValueError("give exactly one of sha256 (hash of the key) or env (variable holding the key)")
        if self.sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", self.sha256.lower()):
            raise ValueError("sha256 must be 64 hex digits (printf %s KEY | sha256sum)")
        if self.user is None and not self.groups:
            raise ValueError("a key reads for someone: give user or groups")
        return self


class AccessConfig(_Section):
    """Who may read which documents: labels on documents, groups of users, and server keys."""

    default: list[str] = Field(
        default_factory=lambda: [PUBLIC_LABEL],
        description="Labels of documents no rule or sidecar labels; [] hides them from every restricted reader.",
    )
    rules: list[AccessRule] = Field(default_factory=list, description="Path rules; the first match wins.")
    users: dict[str, list[str]] = Field(default_factory=dict, description="User -> the groups they belong to.")
    keys: list[ApiKey] = Field(default_factory=list, description="Server keys that read as a user or groups.")

    _default = field_validator("default")(classmethod(lambda cls, v: check_labels(v)))

    @field_validator("users")
    @classmethod
    def _user_groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        check_labels(list(value))
        return {user: check_labels(groups) for user, groups in value.items()}

    @model_validator(mode="after")
    def _known_key_users(self) -> AccessConfig:
        for i, key in enumerate(self.keys):
            if key.user is not None and key.user not in self.users:
                known = ", ".join(sorted(self.users)) or "none"
                raise ValueError(f"keys[{i}] ({key.name}): unknown user {key.user!r} (access.users: {known})")
        groups = [(PUBLIC_LABEL, "the label every reader reads")]
        groups += [(g, f"access.users.{user}") for user, gs in self.users.items() for g in gs if g != user]
        groups += [(g, f"access.keys[{i}] ({key.name}).groups") for i, key in enumerate(self.keys) for g in key.groups]
        for group, where in groups:  # users and groups share no names: `--as ops` and a key's group mean one thing
            if group in self.users:
                raise ValueError(f"{group!r} is both a user (access.users) and a group ({where}): users and groups "
                                 "share no names (a group reads only itself, `--as NAME` reads as the user NAME); "
                                 "rename the user or the group")
        return self


class RetrievalConfig(_Section):
    """How chunks are found for a question."""

    mode: Literal["dense", "bm25", "hybrid"] = "hybrid"
    k: int = Field(4, ge=1, le=100, description="Chunks passed to the generator.")
    fusion: Literal["minmax", "rrf"] = Field("minmax", description="How hybrid merges dense and BM25 results.")
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="Weight of dense scores in minmax fusion.")
    rrf_k: int = Field(60, ge=1, description="Rank constant of reciprocal rank fusion.")
    candidates: int = Field(50, ge=1, le=10000, description="Results taken from each retriever before fusion.")
    filters: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Metadata filters: field -> value(s); '*' matches any text."
    )


class GenerationConfig(_Section):
    """The model that writes answers: a local model or an OpenAI-compatible endpoint."""

    backend: Literal["local", "openai"] = "local"
    model: str = Field(DEFAULT_GENERATOR, description="Bundled name, Hugging Face id, local path or .gguf file.")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint (backend: openai).")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the endpoint's key.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    device: str = "cpu"
    max_new_tokens: int = Field(96, ge=1, le=8192)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    batch_size: int = Field(8, ge=1, le=512, description="Questions generated together in evaluation.")
    timeout_s: float = Field(120.0, gt=0, description="Request timeout for the openai backend.")

    @model_validator(mode="after")
    def _endpoint_needs_url(self) -> GenerationConfig:
        if self.backend == "openai" and not self.base_url:
            raise ValueError("backend 'openai' needs base_url (e.g. http://localhost:8080/v1)")
        return self


class AnswerConfig(_Section):
    """How rag and hybrid answers are kept to their sources: while generated, and once generated."""

    numbers: Literal["free", "sources"] = Field(
        "free", description="sources: a local model may write only numbers (digit runs) that its sources or the "
                            "question state, and citation numbers of its sources (masked while decoding); free: any.")

    shots: int = Field(3, ge=0, le=32, description="few-shot: the train questions (closest to the question) shown "
                                                   "as solved examples before it.")

    grounding: Literal["warn", "abstain", "extract", "off"] = Field(
        "warn", description="The grounding check of rag and hybrid answers (numbers with units, dates and names "
                            "against the cited and retrieved chunks). An unsupported answer is: warn: kept and "
                            "marked; abstain: replaced by \"I don't know.\" and the closest source; extract: replaced "
                            "by the top sources' sentence that best matches the question, cited; off: not checked.")


class DataConfig(_Section):
    """How training data is built from the project (``ragtune data build``)."""

    train: str = Field("questions/train", description="Training questions: a .jsonl/.json/.csv path (suffix optional).")
    test: str = Field("questions/test", description="Held-out questions: never trained on (the leakage guard checks).")
    paraphrases: int = Field(4, ge=0, le=64, description="Rephrasings of each training question and answer.")
    paraphraser: Literal["template", "model"] = Field(
        "template", description="template: deterministic rewording rules; model: the generation model rewrites."
    )
    synthetic: Literal["auto", "off", "model", "template"] = Field(
        "auto", description="Synthetic QA from chunks. auto: with the generation model when there is no train set."
    )
    synthetic_per_chunk: int = Field(2, ge=1, le=20, description="Synthetic questions asked per chunk.")
    raft_distractors: int = Field(3, ge=0, le=20, description="Retrieved non-gold chunks in each RAFT row.")
    raft_gold_share: float = Field(0.8, ge=0.0, le=1.0, description="Share of RAFT rows that keep the gold chunk.")
    raft_paraphrases: int = Field(1, ge=0, le=64, description="Paraphrases per question also turned into RAFT rows.")
    dev_share: float = Field(0.1, ge=0.0, lt=0.9, description="Share of paraphrase rows held out as the dev split.")
    leakage_threshold: float = Field(0.65, gt=0.0, le=1.0, description="Similarity above which a row counts as a test "
                                     "question's near-duplicate and is removed.")
    task_rows: int | None = Field(None, ge=1, description="At most this many train rows of each task in the "
                                                          "training data (a seeded sample); default: all.")
    seed: int = 0


class LoraSettings(_Section):
    """LoRA adapter shape."""

    rank: int = Field(16, ge=1, le=1024)
    alpha: float = Field(32.0, gt=0)
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on the adapter input (0 is ~1.5x faster on CPU).")
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="Module names to adapt, or all-linear (every linear layer but the output head)."
    )


class TrainingConfig(_Section):
    """How models are fine-tuned (``ragtune train``)."""

    method: MethodName = Field("lora", description=f"{described(METHODS)}.")
    model: str | None = Field(None, description="Base model to train; default: generation.model.")
    lora: LoraSettings = Field(default_factory=LoraSettings)
    learning_rate: float | None = Field(None, gt=0, description="Default: 1e-3 for lora, 5e-5 for full and cpt.")
    epochs: float = Field(3.0, gt=0, le=1000)
    max_steps: int | None = Field(None, ge=1, description="Stop after this many optimizer steps (overrides epochs).")
    time_budget_s: float | None = Field(
        None, gt=0, description="Train for about this many seconds at most: the run times its first 3 steps and "
        "keeps the planned steps that fit (the schedule follows); the manifest records the steps it ran.")
    batch_size: int = Field(8, ge=1, le=4096, description="Rows per micro-batch (grouped by length).")
    batch_tokens: int = Field(4096, ge=16, description="Cap on a micro-batch's padded tokens: long rows go in "
                              "smaller batches, so memory stays bounded.")
    grad_accum: int = Field(1, ge=1, le=1024, description="Micro-batches per optimizer step.")
    max_seq_len: int = Field(2048, ge=16, le=131072, description="Longest row in tokens; cpt text is packed to it.")
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    warmup_ratio: float = Field(0.05, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    max_grad_norm: float = Field(1.0, ge=0.0, description="Gradient clipping (0 = off).")
    eval_every: int = Field(0, ge=0, description="Steps between dev evaluations (0 = once per epoch).")
    save_every: int = Field(50, ge=1, description="Steps between checkpoints (a kill loses at most these).")
    keep_checkpoints: int = Field(2, ge=1)
    patience: int = Field(2, ge=0, description="Dev evaluations without improvement before stopping (0 = off).")
    dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="Autocast dtype. auto: bfloat16 on CPUs with native bf16 and on GPUs, else float32."
    )
    device: str = "cpu"
    seed: int = 0
    launcher: Literal["none", "accelerate"] = Field(
        "none", description="How `ragtune train` runs the loop. none: in its own process. accelerate: data-parallel "
        "under `accelerate launch` (gloo on the CPU, NCCL on GPUs); the global batch, schedule, checkpoints, "
        "--resume, early stopping and the manifest mean the same as in one process.")
    num_processes: int | None = Field(
        None, ge=1, le=1024, description="Processes under the launcher (needed on the CPU); default: the Accelerate "
        "config's (`accelerate config`), else one per GPU.")

    def lr(self) -> float:
        """The learning rate, with the per-method default."""
        if self.learning_rate is not None:
            return self.learning_rate
        return 1e-3 if self.method == "lora" else 5e-5


class ArmConfig(_Section):
    """One extra configuration to compare: a variant answered with some keys changed (e.g. retrieval.k)."""

    name: str = Field(..., description="Label in the report, e.g. rag-k2.")
    variant: VariantName
    set: dict[str, Any] = Field(default_factory=dict, description="Config keys to change, e.g. {retrieval.k: 2}.")

    @field_validator("set")
    @classmethod
    def _answer_time_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key.split(".")[0] not in ("retrieval", "generation", "answer"):
                raise ValueError(f"{key}: an arm may change retrieval.*, generation.* and answer.* keys only "
                                 "(other keys need a new knowledge base or model)")
        return value


class FreshnessConfig(_Section):
    """The document update that `compare --freshness` applies (without retraining)."""

    update: str = Field("update_v2", description="Folder holding documents/ (new and changed files at their paths), "
                        "optional removed.txt (one path per line) and questions.jsonl (question, old_answer, "
                        "new_answer, kind), relative to the project.")
    limit: int | None = Field(None, ge=1, description="A seeded sample of that many update questions, each kind "
                              "(changed, added, removed) in proportion (null: all).")


class EvaluationConfig(_Section):
    """How `ragtune compare` measures the variants."""

    variants: list[VariantName] = Field(default_factory=lambda: list(compared()),
                                        description="Variants compared on the questions.")
    task_variants: list[VariantName] = Field(default_factory=lambda: list(names()),
                                             description="Variants compared on the tasks (tasks:).")
    arms: list[ArmConfig] = Field(default_factory=list, description="Extra configurations compared as their own rows.")
    limit: int | None = Field(None, ge=1, description="Evaluate a seeded sample of this many test questions "
                              "(answerable and unanswerable in proportion); null: all.")
    train_missing: bool = Field(True, description="Train the ft/hybrid models first when they do not exist yet.")
    latency_probes: int = Field(8, ge=0, le=1000, description="Questions answered one at a time, streamed, per "
                                "variant, to measure latency and time to first token.")
    bootstrap: int = Field(2000, ge=100, le=100000, description="Bootstrap resamples for confidence intervals.")
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    hourly_usd: float = Field(0.10, ge=0.0, description="Price of the machine per hour, for cost figures.")
    judge: GenerationConfig | None = Field(None, description="Optional LLM judge of answer correctness (a local "
                                           "model or an OpenAI-compatible endpoint); null: off.")
    freshness: FreshnessConfig = Field(default_factory=FreshnessConfig)
    seed: int = 0
    engine: Literal["local", "ray"] = Field(
        "local", description="Where the arms' answers are generated: local (this process) or ray (Ray actors that "
                             "each hold the model, `pip install 'ragtune[ray]'`); the answers and the run are the "
                             "same either way.")
    ray_address: str | None = Field(
        None, description="engine ray: the cluster to join (host:6379 or ray://host:10001); null: start a local "
                          "Ray (or join the one the RAY_ADDRESS environment variable names).")
    ray_workers: int | None = Field(None, ge=1, le=1024, description="engine ray: how many actors answer, each "
                                    "with its model; null: one per GPU, else one per CPU of the cluster.")


TASK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # a task's name is also its folder's


class TaskConfig(_Section):
    """A task evaluated beside the questions (tasks/<name>/train and test rows of input and expected output)."""

    kind: Literal["classify", "extract", "generate", "choice"] = Field(
        description="classify: one label of `labels`; extract: a JSON object matching `schema`; generate: text "
                    "following `rules` (and close to the expected text); choice: one of each row's `choices`.")
    path: str | None = Field(None, description="Folder with train and test rows (.jsonl/.json/.csv); default "
                                               "tasks/<name>.")
    instruction: str = Field("", description="What the model is asked to do, shown before every input.")
    labels: list[str] = Field(default_factory=list, description="classify: the closed set of labels.")
    json_schema: dict[str, Any] | str | None = Field(
        None, alias="schema", description="extract: a JSON Schema, inline or a .json file in the task folder.")
    rules: Rules = Field(default_factory=Rules, description="generate: format and style rules every output follows.")
    similarity: Literal["chrf", "rouge_l"] = Field("chrf", description="generate: similarity to the expected text.")
    shots: int = Field(3, ge=0, le=32, description="Examples from the train rows in the few-shot prompt.")
    shot_selection: Literal["similar", "fixed"] = Field(
        "similar", description="similar: the train rows closest to the input (embeddings); fixed: the first ones.")
    max_new_tokens: int | None = Field(None, ge=1, le=8192, description="Default: generation.max_new_tokens.")
    limit: int | None = Field(None, ge=1, description="Evaluate a seeded sample of this many test rows.")

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    @model_validator(mode="after")
    def _kind_needs(self) -> TaskConfig:
        if self.kind == "classify" and len(set(self.labels)) < 2:
            raise ValueError("a classify task lists its labels: labels: [label-a, label-b, ...] (two or more)")
        if self.kind == "extract" and self.json_schema is None:
            raise ValueError("an extract task needs its JSON Schema: schema: {...} or schema: schema.json")
        if self.kind != "classify" and self.labels:
            raise ValueError(f"labels apply to classify tasks, not {self.kind}")
        return self


class ConstraintsConfig(_Section):
    """The team's situation, which `ragtune recommend` weighs with the measured results (null: unknown)."""

    content_changes: Literal["unknown", "never", "yearly", "quarterly", "monthly", "weekly", "daily"] = Field(
        "unknown", description="How often the documents change.")
    traceable: bool | None = Field(None, description="Answers must cite their sources.")
    closed_environment: bool | None = Field(None, description="The deployment cannot run a retrieval store.")
    specialized: bool | None = Field(None, description="A strict output format, house style, jargon or a fixed task.")
    budget_usd_month: float | None = Field(None, ge=0.0, description="Monthly budget for serving and updates.")
    queries_per_month: int = Field(10000, ge=0, description="Expected load, for the monthly cost.")
    latency_p95_s: float | None = Field(None, gt=0.0, description="Latency target (95th percentile, seconds).")


class ProjectConfig(_Section):
    """Everything ragtune.yaml holds."""

    name: str = Field("project", description="Project name, used in model ids and reports.")
    documents: str = Field("documents", description="Folder of source documents, relative to the project.")
    include: list[str] = Field(
        default_factory=lambda: ["**/*"], description="Glob patterns of files to ingest, under documents."
    )
    exclude: list[str] = Field(default_factory=lambda: ["**/.*", "**/~$*"])
    parsers: dict[str, str] = Field(
        default_factory=dict, description='Heavier parsers per suffix, e.g. {".pdf": pdfplumber} (pdf-layout extra).'
    )
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    chunking: ChunkingConfig = Field(default_factory=ChunkingConfig)
    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    access: AccessConfig = Field(default_factory=AccessConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    answer: AnswerConfig = Field(default_factory=AnswerConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    constraints: ConstraintsConfig = Field(default_factory=ConstraintsConfig)
    tasks: dict[str, TaskConfig] = Field(default_factory=dict, description="Tasks evaluated beside the questions "
                                                                           "(name -> task).")

    @field_validator("tasks")
    @classmethod
    def _task_names(cls, value: dict[str, TaskConfig]) -> dict[str, TaskConfig]:
        for name in value:
            if not TASK_NAME.fullmatch(name):
                raise ValueError(f"task name {name!r}: use letters, digits, '-', '_' or '.' (it names a folder)")
        return value

    @model_validator(mode="after")
    def _numbers_need_a_local_model(self) -> ProjectConfig:
        if self.answer.numbers == "sources" and self.generation.backend != "local":
            raise ValueError("answer.numbers: 'sources' masks tokens while a local model decodes; an endpoint "
                             "(generation.backend: openai) cannot be constrained: set answer.numbers: free")
        return self

    @field_validator("name")
    @classmethod
    def _name_is_simple(cls, value: str) -> str:
        if not value or any(c in value for c in "/\\: "):
            raise ValueError("use letters, digits, '-', '_' or '.' (no spaces, slashes or colons)")
        return value

    @field_validator("parsers")
    @classmethod
    def _known_parsers(cls, value: dict[str, str]) -> dict[str, str]:
        from ragtune.corpus.parsers import ALTERNATIVES

        for suffix, name in value.items():
            suffixes = ALTERNATIVES.get(name, ((),))[0]
            if name != "default" and suffix.lower() not in suffixes:
                known = ", ".join(f"{s}: {n}" for n, (ss, _, _) in ALTERNATIVES.items() for s in ss)
                raise ValueError(f"no parser {name!r} for {suffix!r} (available: {known}, or default)")
        return {k.lower(): v for k, v in value.items()}


def _hide_urls(value: Any) -> Any:
    """A section's input as shown in errors: URLs (which may hold a password) replaced by '***'."""
    if isinstance(value, dict):
        return {k: "***" if str(k).endswith("url") and v else _hide_urls(v) for k, v in value.items()}
    return value


def _format_errors(exc: ValidationError, origin: str) -> str:
    lines = [f"invalid configuration in {origin}:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        value = _hide_urls(err.get("input"))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (check the spelling; `ragtune config-schema` lists keys)")
            continue
        allowed = err.get("ctx", {}).get("expected")
        hint = f" (allowed: {allowed})" if allowed else ""
        shown = "***" if key.endswith("url") and value else repr(value)
        lines.append(f"  {key}: {msg}{hint}; got {shown}")
    return "\n".join(lines)


def parse_config(data: dict[str, Any], origin: str = "config") -> ProjectConfig:
    """Validate a mapping into a ProjectConfig; errors name the key, the value and what is allowed."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping of keys to values, got {type(data).__name__}")
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin)) from None


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` strings (values parsed as YAML scalars/lists) to a config mapping."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. retrieval.k=5")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"--set {item!r}: {part} is not a section")
            node = child
        node[parts[-1]] = value
    return data


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int):
        super().__init__(f"duplicate key {key!r} at line {line}")
        self.key, self.line = key, line


class StrictLoader(yaml.SafeLoader):
    """yaml.safe_load's loader that refuses a key given twice in one mapping (YAML keeps the last one silently,
    so a second `retrieval:` section would drop the first without a word)."""

    def construct_document(self, node):
        _check_duplicates(node, "", set())
        return super().construct_document(node)


def _check_duplicates(node: yaml.Node, path: str, seen: set[int]) -> None:
    """Raise _DuplicateKey for the first key repeated in a mapping under ``node`` (nodes shared by aliases once)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[tuple[str, str]] = set()
        for key_node, value_node in node.value:
            name = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if isinstance(key_node, yaml.ScalarNode) and name != "<<":  # "<<": a YAML merge key
                if (key_node.tag, name) in keys:
                    raise _DuplicateKey(f"{path}{name}", key_node.start_mark.line + 1)
                keys.add((key_node.tag, name))
            _check_duplicates(value_node, f"{path}{name}.", seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(item, f"{path.removesuffix('.')}[{i}].", seen)


def read_config_file(path: Path) -> dict[str, Any]:
    """Read ragtune.yaml safely into a mapping, with a clear error for YAML mistakes and repeated keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path} not found: run `ragtune init {path.parent}` to create a project") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text: re-save it as UTF-8") from None
    try:
        data = yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass: as safe as yaml.safe_load
    except _DuplicateKey as exc:
        raise ConfigError(f"{path}: {exc} (YAML would keep only the last one): remove or merge the repeated "
                          f"{exc.key.rpartition('.')[2]}:") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return data if data is not None else {}


def load_config(project: Path, overrides: list[str] | None = None) -> ProjectConfig:
    """Load ``project/ragtune.yaml`` with optional ``key=value`` overrides applied."""
    path = Path(project) / CONFIG_FILE
    data = read_config_file(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    return parse_config(apply_overrides(data, overrides or []), origin=str(path))


def config_schema() -> dict[str, Any]:
    """The JSON schema of ragtune.yaml."""
    return ProjectConfig.model_json_schema()
