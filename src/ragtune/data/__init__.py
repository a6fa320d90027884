"""Training data built from a project: question sets, paraphrases, synthetic QA, leakage guard, RAFT rows."""
