"""Training data built from a project: question sets, paraphrases, synthetic QA, leakage guard, RAFT rows."""

from ragtune.data.build import BuildReport, build_data
from ragtune.data.questions import QAPair, load_questions

__all__ = ["BuildReport", "QAPair", "build_data", "load_questions"]
