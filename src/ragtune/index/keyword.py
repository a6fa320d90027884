"""BM25 keyword search (bm25s, English stemming and stop words) over a snapshot of the current chunks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ragtune.errors import require
from ragtune.index.store.base import Filters, like_pattern

_STOPWORDS = "en"


def _stemmer():
    stemmer_module = require("Stemmer", package="PyStemmer")
    return stemmer_module.Stemmer("english")


def index_text(row: dict[str, Any]) -> str:
    """The text a chunk is indexed under: title, section and body (as in Chunk.embed_text)."""
    return "\n".join(p for p in (row["title"], row["section"], row["text"]) if p)


class KeywordIndex:
    """A bm25s index plus the chunk rows it covers (row i of ``rows`` is document i of the index)."""

    def __init__(self, retriever, rows):
        self.retriever = retriever
        self.rows = rows
        self._stem = _stemmer()
        self._vocab = set(retriever.vocab_dict) if retriever is not None else set()

    @classmethod
    def build(cls, rows) -> KeywordIndex:
        """Index an Arrow table of chunk rows (id, source, title, section, text, ...)."""
        bm25s = require("bm25s", package="bm25s")
        if rows.num_rows == 0:
            return cls(None, rows)
        texts = [index_text(r) for r in rows.select(["title", "section", "text"]).to_pylist()]
        tokens = bm25s.tokenize(texts, stopwords=_STOPWORDS, stemmer=_stemmer(), show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(retriever, rows)

    def save(self, folder: Path, version: int) -> None:
        """Write the index and its rows to ``folder``, stamped with the table version they match."""
        pa = require("pyarrow")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "stamp.json").unlink(missing_ok=True)
        if self.retriever is not None:
            self.retriever.save(str(folder))
        with pa.OSFile(str(folder / "rows.arrow"), "wb") as sink, pa.ipc.new_file(sink, self.rows.schema) as w:
            w.write_table(self.rows)
        (folder / "stamp.json").write_text(json.dumps({"version": version, "empty": self.retriever is None}))

    @classmethod
    def load(cls, folder: Path, version: int) -> KeywordIndex | None:
        """The saved index if it matches ``version``, else None."""
        stamp_path = folder / "stamp.json"
        if not stamp_path.exists():
            return None
        stamp = json.loads(stamp_path.read_text())
        if stamp.get("version") != version:
            return None
        pa = require("pyarrow")
        bm25s = require("bm25s", package="bm25s")
        with pa.memory_map(str(folder / "rows.arrow")) as source:
            rows = pa.ipc.open_file(source).read_all()
        retriever = None if stamp.get("empty") else bm25s.BM25.load(str(folder))
        return cls(retriever, rows)

    def mask(self, filters: Filters) -> np.ndarray:
        """A 0/1 weight per row: 1 where the row matches every filter."""
        pc = require("pyarrow.compute")
        keep = np.ones(self.rows.num_rows, dtype=bool)
        for key, value in filters.items():
            column = self.rows.column(key)
            values = value if isinstance(value, list) else [value]
            match = np.zeros(self.rows.num_rows, dtype=bool)
            for v in values:
                test = pc.match_like(column, like_pattern(v)) if "*" in v else pc.equal(column, v)
                match |= np.asarray(test.fill_null(False), dtype=bool)
            keep &= match
        return keep.astype(np.float32)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[dict, float]]:
        """The top ``k`` rows with a positive BM25 score for ``query``."""
        if self.retriever is None or k <= 0:
            return []
        bm25s = require("bm25s", package="bm25s")
        tokens = bm25s.tokenize([query], stopwords=_STOPWORDS, stemmer=self._stem, return_ids=False,
                                show_progress=False)[0]
        tokens = [t for t in tokens if t in self._vocab]
        if not tokens:
            return []
        k = min(k, self.rows.num_rows)
        docs, scores = self.retriever.retrieve([tokens], k=k, weight_mask=mask, show_progress=False, n_threads=1)
        picked = [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
        if not picked:
            return []
        rows = self.rows.take([d for d, _ in picked]).to_pylist()
        return [(row, score) for row, (_, score) in zip(rows, picked)]
