"""The grounding check on the bundled example, without a model: how often it flags a right answer, and how often
it catches a wrong number.

Every gold answer and alias of the example's answerable test questions is checked against the chunks of its gold
document (a right answer should pass), then with its first number changed (+1 below 10, else x1.25: a wrong
answer that should be flagged unless the changed number happens to be stated elsewhere in that document).
Usage: ``python bench/grounding_check.py PROJECT`` for a project made with ``ragtune init PROJECT --example
examples/aldermoor`` and ingested.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ragtune.grounding import check, source_text
from ragtune.index.kb import KnowledgeBase
from ragtune.index.store.base import Hit
from ragtune.project import Project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project")
    parser.add_argument("--verbose", action="store_true", help="print every false flag and miss")
    args = parser.parse_args()
    project = Project.load(args.project)
    kb = KnowledgeBase(project)
    documents = kb.manifest().documents
    texts = {s: [source_text(Hit(c, 0.0)) for c in kb.store.get(e.chunks)] for s, e in documents.items()}
    path = Path(args.project) / project.config.data.test
    rows = [json.loads(line) for line in path.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines() if line]
    right = flagged = changed = caught = 0
    for row in rows:
        if not row.get("answerable", True) or row.get("source") not in texts:
            continue
        sources = texts[row["source"]]
        for form in [row["answer"], *row.get("aliases", [])]:
            verdict = check(form, row["question"], sources)
            right += 1
            if not verdict.supported:
                flagged += 1
                if args.verbose:
                    print("flagged", row["id"], repr(form), verdict.reasons)
            number = re.search(r"\d+", form)
            if number:
                value = int(number.group(0))
                wrong = form[:number.start()] + str(value + 1 if value < 10 else round(value * 1.25)) + \
                    form[number.end():]
                changed += 1
                if check(wrong, row["question"], sources).supported:
                    if args.verbose:
                        print("missed", row["id"], repr(wrong))
                else:
                    caught += 1
    print(f"right answers flagged: {flagged}/{right} ({flagged / right:.1%})")
    print(f"changed numbers caught: {caught}/{changed} ({caught / changed:.1%})")


if __name__ == "__main__":
    main()
