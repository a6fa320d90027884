"""Evaluation: metrics for retrieval and answers."""
