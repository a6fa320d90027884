"""Bootstrap confidence intervals and paired tests for per-question metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

_BLOCK = 1 << 20  # resampled values held in memory at once


def _round(x: float) -> float:
    """Round to 4 decimals, without a negative zero."""
    return round(x, 4) + 0.0


def _in_blocks(resamples: int, n: int, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    """Concatenate draw(rows) over row blocks of at most _BLOCK values, `resamples` rows in all."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples}")
    rows = max(1, _BLOCK // n)
    return np.concatenate([draw(min(rows, resamples - start)) for start in range(0, resamples, rows)])


def _bootstrap_means(x: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `resamples` resamples of x with replacement."""
    return _in_blocks(resamples, x.size, lambda rows: x[rng.integers(0, x.size, size=(rows, x.size))].mean(axis=1))


def _bounds(means: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval of bootstrap means."""
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def interval(values: Sequence[float | None], *, resamples: int = 2000, confidence: float = 0.95, seed: int = 0) -> dict:
    """The mean of the non-None values with its percentile bootstrap interval: {"mean", "low", "high", "n"}."""
    x = np.array([v for v in values if v is not None], dtype=float)
    if x.size == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = float(x.mean())
    low, high = (mean, mean)
    if x.size > 1:
        low, high = _bounds(_bootstrap_means(x, resamples, np.random.default_rng(seed)), confidence)
    return {"mean": _round(mean), "low": _round(low), "high": _round(high), "n": int(x.size)}


def paired(
    a: Sequence[float | None],
    b: Sequence[float | None],
    *,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict:
    """Mean difference a - b on the positions both have, its bootstrap interval and a sign-flip test p value."""
    d = np.array([x - y for x, y in zip(a, b, strict=True) if x is not None and y is not None], dtype=float)
    if d.size == 0:
        return {"diff": None, "low": None, "high": None, "p": None, "significant": False, "n": 0}
    rng = np.random.default_rng(seed)
    diff = float(d.mean())
    low, high = (diff, diff)
    if d.size > 1:
        low, high = _bounds(_bootstrap_means(d, resamples, rng), confidence)
    if not d.any():
        p = 1.0
    else:
        # sign-flip randomization: under the null hypothesis each difference is as likely negated
        flipped = _in_blocks(
            resamples, d.size, lambda rows: (rng.choice([-1.0, 1.0], size=(rows, d.size)) * d).mean(axis=1)
        )
        p = (int(np.sum(np.abs(flipped) >= abs(diff) - 1e-12)) + 1) / (resamples + 1)
    return {
        "diff": _round(diff),
        "low": _round(low),
        "high": _round(high),
        "p": _round(p),
        "significant": bool(p < 1 - confidence),
        "n": int(d.size),
    }
