"""The content-change rule: arms that do not retrieve answer from what they were trained on until retrained.

With frequent changes (monthly or more often) such an arm is excluded when it answered the knowledge-update
questions clearly worse than the best retrieving arm; with rare changes a fine-tuned arm's update cost is stated.
"""

from __future__ import annotations

from ragtune.config import ConstraintsConfig
from ragtune.recommendation.evidence import UPDATES_PER_MONTH, fmt_diff, fmt_interval, fmt_usd, update_text
from ragtune.recommendation.results import Run

FREQUENT_CHANGES = frozenset(k for k, per_month in UPDATES_PER_MONTH.items() if per_month >= 1)  # monthly or more
RARE_CHANGES = frozenset(UPDATES_PER_MONTH) - FREQUENT_CHANGES  # never, yearly, quarterly ("unknown" is neither)
CLEAR_GAP = 0.25  # a gap in updated-answer shares that counts as clear when no intervals were measured


def apply_content_changes(
    run: Run,
    c: ConstraintsConfig,
    remaining: list[str],
    excluded: dict[str, list[str]],
    reasons: list[str],
    caveats: list[str],
) -> list[str]:
    """Apply the content-change rule; returns the arms still in the running."""
    changes = c.content_changes
    shares = {a: f for a in remaining if run.retrieves(a) and (f := run.freshness(a)) is not None}
    best = max(shares, key=lambda a: shares[a].mean, default=None)
    best_fresh = shares.get(best) if best else None
    stale_lines: list[str] = []
    for arm in (a for a in run.arms if not run.retrieves(a)):
        fresh = run.freshness(arm)
        evidence = _clearly_below(run, arm, best) if best else None
        if changes in FREQUENT_CHANGES:
            if evidence is not None:
                excluded.setdefault(arm, []).append(f"content changes {changes} and {evidence}")
                stale_lines.append(evidence)
                remaining = [a for a in remaining if a != arm]
            elif arm in remaining:
                if fresh is None:
                    seen = "freshness was not measured (compare --freshness)"
                elif best and best_fresh:
                    seen = (
                        f"its updated-answer share {fmt_interval(fresh)} is not clearly below "
                        f"{best}'s {fmt_interval(best_fresh)}"
                    )
                else:
                    seen = (
                        f"its updated-answer share is {fmt_interval(fresh)}, with no remaining retrieving arm "
                        "measured to compare it with"
                    )
                caveats.append(
                    f"content changes {changes} and {arm} does not retrieve, so it answers from what it "
                    f"was trained on until retrained; {seen}; {update_text(run, arm)}"
                )
        elif changes == "unknown" and evidence is not None and arm in remaining:
            caveats.append(f"{evidence}: this matters if the content changes often (content_changes is unknown)")
    if stale_lines:
        reasons.append(f"content changes {changes} (content_changes), so stale arms are out: " + "; ".join(stale_lines))
    if changes in RARE_CHANGES:
        reasons.extend(_rare_changes(run, changes, remaining))
    return remaining


def _rare_changes(run: Run, changes: str, remaining: list[str]) -> list[str]:
    """The reason a fine-tuned arm stays in when content rarely changes: what keeping it current costs."""
    tuned = [a for a in remaining if run.tuned(a)]
    if not tuned:
        return []
    per_month = UPDATES_PER_MONTH[changes]
    costs = []
    for arm in tuned:
        usd = run.cost(arm, "update_usd")
        monthly = f" (~{fmt_usd(usd * per_month)}/month)" if usd is not None and per_month else ""
        costs.append(update_text(run, arm) + monthly)
    what = "does not go stale" if changes == "never" else "goes stale rarely, so its staleness costs little"
    return [f"content changes {changes} (content_changes): a fine-tuned model {what}; " + "; ".join(costs)]


def _clearly_below(run: Run, arm: str, best: str) -> str | None:
    """Evidence that arm's updated-answer share is significantly below best's, or None.

    Significant: disjoint intervals, a significant paired freshness test, or (shares without intervals) a gap
    of at least CLEAR_GAP.
    """
    fresh, top = run.freshness(arm), run.freshness(best)
    if fresh is None or top is None:
        return None
    text = (
        f"{arm} answered {fmt_interval(fresh)} of the updated questions with the new answer vs "
        f"{best}'s {fmt_interval(top)}"
    )
    hi, lo = fresh.high, top.low
    if hi is not None and lo is not None and hi < lo:
        return text
    if run.significantly_worse(arm, best, "freshness"):
        return f"{text} (paired {fmt_diff(run.comparison('freshness', arm, best))})"
    if (hi is None or lo is None) and top.mean - fresh.mean >= CLEAR_GAP:
        return text
    return None
