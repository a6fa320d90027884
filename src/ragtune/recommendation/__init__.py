"""Recommendation: which measured arm to deploy under the team's constraints, and the interview that asks for them."""

from ragtune.recommendation.decide import Recommendation, recommend
from ragtune.recommendation.interview import ask_constraints

__all__ = ["Recommendation", "ask_constraints", "recommend"]
