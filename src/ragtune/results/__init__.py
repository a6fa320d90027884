"""A comparison run's files as typed models: results.json (``RunResults`` and its parts) and samples.jsonl
(``Sample``), with the one loader and writer every reader goes through. Low in the tree: it imports no
evaluation, report or recommendation code."""

from ragtune.results.files import load_results, load_samples, parse_results, save_results, save_samples
from ragtune.results.models import (
    SCHEMA,
    Arm,
    ArmCost,
    ClassScore,
    Comparison,
    Cost,
    FreshArm,
    Freshness,
    Interval,
    JudgeInfo,
    KnowledgeBaseInfo,
    Leakage,
    Performance,
    Questions,
    Recommendation,
    RunResults,
    Stage,
    TaskArm,
    TaskResult,
    TrainedModel,
)
from ragtune.results.samples import GroundingCheck, Sample, SourceRef

__all__ = [
    "SCHEMA", "Arm", "ArmCost", "ClassScore", "Comparison", "Cost", "FreshArm", "Freshness", "GroundingCheck",
    "Interval", "JudgeInfo", "KnowledgeBaseInfo", "Leakage", "Performance", "Questions", "Recommendation",
    "RunResults", "Sample", "SourceRef", "Stage", "TaskArm", "TaskResult", "TrainedModel", "load_results",
    "load_samples", "parse_results", "save_results", "save_samples",
]
