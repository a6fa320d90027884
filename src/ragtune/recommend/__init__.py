"""Recommendation: which measured arm to deploy under the team's constraints, and the interview that asks for them."""

from ragtune.recommend.decide import Recommendation, recommend
from ragtune.recommend.interview import ask_constraints

__all__ = ["Recommendation", "ask_constraints", "recommend"]
