"""PostgreSQL backend: `chunks`, `archive` and `meta` tables in one schema per project, searched with pgvector.

The chunk tables' columns are the chunk row of ``ragtune.index.store.rows`` (`chunks` adds the keyword vector).

Dense search runs on an HNSW index (cosine); filtered searches scan it iteratively (pgvector >= 0.8) so a
filter never returns fewer than k rows that exist. Keyword search is PostgreSQL full-text search: a generated
tsvector over title, section and text (GIN index), ranked by BM25 (k1 1.5, b 0.75, as bm25s) from document
frequencies and corpus totals kept up to date in the same transaction as every write (length: distinct
lexemes). The candidates are the chunks holding the query's rarest terms, about _KEYWORD_POSTINGS of them
(every matching chunk when those give fewer than k), each scored over all query terms: common words add
little to a score but would make every chunk a candidate. On SciFact this ranks as bm25s does (nDCG@10
0.688 vs 0.686; ts_rank_cd, without inverse document frequency: 0.375).
Metadata filters and access labels (`labels && allowed`, GIN-indexed) become WHERE clauses of the search
itself. Stores on the same server URL share one connection pool. A KnowledgeBase commit runs in one
transaction (`transaction()` binds a connection to the thread), so a crash or a reader never sees half of it;
the writer lock is a PostgreSQL advisory lock, so it holds across machines. A rebuild fills `<schema>_rebuild` and
renames it into place in one transaction. Connection URLs are parsed (never echoed when they do not parse) and
shown without their password, and driver messages are scrubbed of it.
"""

from __future__ import annotations

import atexit
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ragtune.config import PG_SCHEMA_NAME
from ragtune.corpus.document import Chunk
from ragtune.errors import ConfigError, RagtuneError, StoreBusy, require
from ragtune.index.store.base import (
    Allowed,
    ChunkRecord,
    ChunkStore,
    Filters,
    Hit,
    check_allowed,
    check_filters,
    check_meta_key,
    like_pattern,
)
from ragtune.index.store.rows import (
    NAMES,
    chunk_from_values,
    pg_columns,
    pg_copy_types,
    pg_keyword_text,
    record_from_row,
    record_values,
    select_list,
)

CHUNKS, ARCHIVE, META, TERMS, STATS = "chunks", "archive", "meta", "terms", "corpus_stats"
BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults (the LanceDB backend's keyword search)
_KEYWORD_POSTINGS = 1000  # keyword candidates: chunks holding the rarest query terms, about this many
_BULK_LOAD = 1000  # adding at least this many chunks to an empty table builds the HNSW index after the load
_BUILD_MEMORY = "1GB"  # maintenance_work_mem for that build (the graph of 100k x 384 fits)
_TS_CONFIG = "english"
_EF_SEARCH_MAX = 1000
_POOLS: dict[str, Any] = {}
_REBUILD_MARK = "rebuild_of"  # meta key of a schema being rebuilt: the schema it will replace
_POOLS_LOCK = threading.Lock()


def _modules():
    psycopg = require("psycopg", extra="pgvector")
    require("psycopg_pool", extra="pgvector")
    require("pgvector.psycopg", extra="pgvector")
    return psycopg


_URI_SCHEMES = ("postgresql://", "postgres://")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ENCODING_HINT = ("give postgresql://user:password@host:port/database with '@', '/', '%' and spaces in the "
                  "password percent-encoded (%40, %2F, %25, %20), or key=value pairs (host=... dbname=... "
                  "password='...')")


def _unparsable(why: str) -> ConfigError:
    """The error for a URL that does not parse: it never repeats the URL, which may hold a password."""
    return ConfigError(f"the URL in store.url could not be parsed ({why}): {_ENCODING_HINT}")


def parse_url(url: str) -> dict[str, str]:
    """A connection URL's (or key=value string's) parameters as libpq reads them, or a ConfigError that does
    not repeat it. A URI whose password holds a raw '@' or '/' is refused: libpq would read part of the
    password as the host or port, and repeat it in its errors."""
    _modules()
    from psycopg.conninfo import conninfo_to_dict

    if url.startswith(_URI_SCHEMES):
        before_query = url.split("://", 1)[1].split("?", 1)[0]
        authority = before_query.split("/", 1)[0]
        if before_query.count("@") > 1 or ("@" in before_query and "@" not in authority):
            raise _unparsable("more than one '@', or an '@' after a '/'")
        if _BAD_PERCENT.search(url):
            raise _unparsable("a '%' not followed by two hex digits")
        if any(c.isspace() for c in url):
            raise _unparsable("a space")
    try:
        params = conninfo_to_dict(url)
    except Exception:  # libpq's message repeats the URL
        looks_like_uri = "://" in url or url.startswith("postgres")
        why = "it must start with postgresql://" if looks_like_uri else "not a URL, nor key=value pairs"
        raise _unparsable(why) from None
    if not all(p.strip().isdigit() for p in str(params.get("port") or "0").split(",")):
        raise _unparsable("the port is not a number")
    return {k: str(v) for k, v in params.items()}


def redact(url: str) -> str:
    """Where a connection URL points (user, host, port, database), for messages: never its password, and
    nothing of a URL that does not parse."""
    try:
        params = parse_url(url)
    except ConfigError:
        return "(the URL in store.url, which could not be parsed)"
    user = params.get("user", "")
    credentials = f"{user}:***@" if "password" in params else (f"{user}@" if user else "")
    host, port = params.get("host") or params.get("hostaddr") or "", params.get("port")
    socket = host.startswith("/")
    where = ("" if socket else host) + (f":{port}" if port else "")
    return (f"postgresql://{credentials}{where}/{params.get('dbname', '')}"
            + (f"?host={host}" if socket else ""))


def scrub(text: str, url: str) -> str:
    """``text`` (e.g. libpq's message about ``url``) with the URL and its password, in any spelling, replaced."""
    from urllib.parse import unquote, urlsplit

    secrets = {url, *re.findall(r"password=([^&\s]+)", url)}
    try:
        secrets.add(urlsplit(url).password or "")
        secrets.add(parse_url(url).get("password", ""))
    except (ValueError, ConfigError):
        pass
    secrets |= {unquote(s) for s in secrets}
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+)", r"\1***", text)


def _first_line(exc: Exception, url: str) -> str:
    """The first line of a driver error, without the URL's password."""
    return scrub((str(exc).strip().splitlines() or [type(exc).__name__])[0], url)


def _configure(conn) -> None:
    from pgvector.psycopg import register_vector

    register_vector(conn)
    conn.commit()


def _prepare_database(url: str) -> tuple[int, ...]:
    """Check the server is reachable and has the vector extension (created if missing); returns its version."""
    psycopg = _modules()
    try:
        conn = psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as exc:
        raise RagtuneError(
            f"cannot connect to PostgreSQL at {redact(url)}: {_first_line(exc, url)}; check store.url and that the "
            "server is running and accepts connections"
        ) from None
    with conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error as exc:
            available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
            if not available:
                raise ConfigError(
                    f"the PostgreSQL server at {redact(url)} has no pgvector extension: install pgvector on the "
                    "server (https://github.com/pgvector/pgvector#installation), or use store.backend: lancedb"
                ) from None
            raise ConfigError(
                f"cannot create the vector extension on {redact(url)} ({_first_line(exc, url)}): ask a database "
                "administrator to run `CREATE EXTENSION vector;` in this database"
            ) from None
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return tuple(int(p) for p in re.findall(r"\d+", row[0])[:3])


def _shared_pool(url: str) -> tuple[Any, tuple[int, ...]]:
    """The process-wide connection pool for ``url`` and the server's pgvector version."""
    with _POOLS_LOCK:
        if url not in _POOLS:
            version = _prepare_database(url)
            pool_module = require("psycopg_pool", extra="pgvector")
            pool = pool_module.ConnectionPool(url, min_size=1, max_size=8, open=False, configure=_configure,
                                              kwargs={"connect_timeout": 10}, name="ragtune")
            pool.open(wait=True, timeout=30)
            _POOLS[url] = (pool, version)
        return _POOLS[url]


@atexit.register
def close_pools() -> None:
    """Close every shared connection pool (at exit, or in tests before stopping a server)."""
    with _POOLS_LOCK:
        for pool, _ in _POOLS.values():
            pool.close()
        _POOLS.clear()


def _rarest(lexemes: list[tuple[str, int]], postings: int) -> list[str]:
    """The rarest lexemes (sorted by document frequency) whose frequencies add up to at most ``postings``
    (at least one): the chunks holding them are the candidates BM25 ranks."""
    chosen, total = [], 0
    for lexeme, df in lexemes:
        if chosen and total + df > postings:
            break
        chosen.append(lexeme)
        total += df
    return chosen


def _tsquery_text(lexemes: list[str]) -> str:
    """Lexemes as a tsquery literal where any of them may match."""
    quoted = ("'" + lex.replace("\\", "\\\\").replace("'", "''") + "'" for lex in lexemes)
    return " | ".join(quoted)


class PgVectorStore(ChunkStore):
    """Chunks, archive and metadata in a PostgreSQL schema; tables take their vector size from the data."""

    def __init__(self, url: str, schema: str, ef_search: int = 100):
        if not PG_SCHEMA_NAME.fullmatch(schema):
            raise ConfigError(f"store.pg_schema {schema!r}: use lower-case letters, digits and underscores")
        self._psycopg = _modules()
        parse_url(url)  # a URL that does not parse is refused here, before libpq can repeat it in an error
        self.url, self.schema, self.ef_search = url, schema, ef_search
        self._pool, version = _shared_pool(url)
        self._iterative_scan = version >= (0, 8)
        self._dim: int | None = None
        self._lock = threading.RLock()
        self._bound = threading.local()  # the connection of a transaction() in progress, per thread
        with self._pool.connection() as conn:
            conn.execute(self._sql("CREATE SCHEMA IF NOT EXISTS {schema}"))
            self._create_meta(conn)

    def __str__(self) -> str:
        return f"PostgreSQL schema {self.schema!r} at {redact(self.url)}"

    # -- SQL helpers ----------------------------------------------------------------------------
    def _sql(self, text: str, **parts):
        """``text`` with {schema} and {chunks}/{archive}/{meta}/{terms}/{corpus_stats} as quoted identifiers."""
        sql = self._psycopg.sql
        names = {"schema": sql.Identifier(self.schema),
                 **{name: sql.Identifier(self.schema, name) for name in (CHUNKS, ARCHIVE, META, TERMS, STATS)}}
        return sql.SQL(text).format(**{k: v for k, v in names.items() if "{" + k + "}" in text}, **parts)

    def _create_meta(self, conn) -> None:
        conn.execute(self._sql("CREATE TABLE IF NOT EXISTS {meta} (key text PRIMARY KEY, value jsonb NOT NULL)"))

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """The connection of the transaction in progress on this thread, else one from the pool."""
        bound = getattr(self._bound, "conn", None)
        if bound is not None:
            yield bound
            return
        with self._pool.connection() as conn:
            yield conn

    def _where(self, filters: Filters | None, allowed: Allowed = None) -> tuple[Any, list[Any]]:
        """Metadata filters and allowed labels as a SQL predicate and its parameters ('*' becomes LIKE '%')."""
        sql = self._psycopg.sql
        clauses, params = [], []
        allowed = check_allowed(allowed)
        if allowed is not None:
            clauses.append(sql.SQL("labels && %s::text[]"))
            params.append(allowed)
        for key, value in check_filters(filters).items():
            parts = []
            for v in value if isinstance(value, list) else [value]:
                op = "LIKE" if "*" in v else "="
                parts.append(sql.SQL("{} " + op + " %s").format(sql.Identifier(key)))
                params.append(like_pattern(v) if "*" in v else v)
            clauses.append(sql.SQL("({})").format(sql.SQL(" OR ").join(parts)) if parts else sql.SQL("FALSE"))
        return (sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("TRUE")), params

    # -- tables ---------------------------------------------------------------------------------
    def _stored_dim(self, conn) -> int | None:
        """The vector size of the chunks table, or None when it does not exist."""
        row = conn.execute(
            "SELECT a.atttypmod FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) AND a.attname = 'vector'",
            [f'"{self.schema}".{CHUNKS}'],
        ).fetchone()
        return row[0] if row else None

    def _ensure_tables(self, conn, dim: int | None) -> bool:
        """Whether the tables exist; with ``dim`` they are created if missing and their vector size checked."""
        if self._dim is None:
            self._dim = self._stored_dim(conn)
        if dim is None:
            return self._dim is not None
        if self._dim is None:
            sql = self._psycopg.sql
            columns = sql.SQL(pg_columns(dim))
            tsv = sql.SQL(f"tsv tsvector GENERATED ALWAYS AS (to_tsvector('{_TS_CONFIG}'::regconfig, "
                          f"{pg_keyword_text()})) STORED")
            conn.execute(self._sql("CREATE TABLE IF NOT EXISTS {chunks} ({columns}, {tsv})", columns=columns, tsv=tsv))
            conn.execute(self._sql("CREATE TABLE IF NOT EXISTS {archive} ({columns})", columns=columns))
            self._create_hnsw(conn)
            conn.execute(self._sql("CREATE INDEX IF NOT EXISTS chunks_tsv_gin ON {chunks} USING gin (tsv)"))
            conn.execute(self._sql("CREATE INDEX IF NOT EXISTS chunks_source ON {chunks} (source text_pattern_ops)"))
            conn.execute(self._sql("CREATE INDEX IF NOT EXISTS chunks_labels ON {chunks} USING gin (labels)"))
            conn.execute(self._sql("CREATE TABLE IF NOT EXISTS {terms} (lexeme text PRIMARY KEY, df integer NOT NULL)"))
            conn.execute(self._sql("CREATE TABLE IF NOT EXISTS {corpus_stats} (one boolean PRIMARY KEY CHECK (one), "
                                   "chunks bigint NOT NULL, lexemes bigint NOT NULL)"))
            conn.execute(self._sql("INSERT INTO {corpus_stats} VALUES (true, 0, 0) ON CONFLICT DO NOTHING"))
            self._dim = self._stored_dim(conn)
        if self._dim != dim:
            raise ConfigError(
                f"the PostgreSQL schema {self.schema!r} at {redact(self.url)} holds {self._dim}-dimensional vectors "
                f"but the embedding model makes {dim}: run `ragtune ingest --rebuild` to re-embed everything"
            )
        return True

    def _create_hnsw(self, conn) -> None:
        conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", [_BUILD_MEMORY])
        conn.execute(self._sql("CREATE INDEX IF NOT EXISTS chunks_vector_hnsw ON {chunks} "
                               "USING hnsw (vector vector_cosine_ops)"))

    def _rows(self, query, params: Iterable[Any] = ()) -> list[tuple]:
        """Rows of a read over the chunk tables ([] when they do not exist yet)."""
        with self._connection() as conn:
            if not self._ensure_tables(conn, None):
                return []
            try:
                return conn.execute(query, list(params)).fetchall()
            except self._psycopg.errors.UndefinedTable:
                self._dim = None  # dropped by another process
                return []

    def _copy(self, conn, table, records: list[ChunkRecord]) -> None:
        columns = self._psycopg.sql.SQL(", ").join(self._psycopg.sql.Identifier(c) for c in NAMES)
        with conn.cursor() as cur, cur.copy(self._sql("COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)",
                                                      table=table, columns=columns)) as copy:
            copy.set_types(pg_copy_types())
            for r in records:
                copy.write_row(record_values(r))

    # -- chunks ---------------------------------------------------------------------------------
    def ids(self) -> set[str]:
        return {row[0] for row in self._rows(self._sql("SELECT id FROM {chunks}"))}

    def labels(self) -> dict[str, list[str]]:
        return {row[0]: sorted(row[1] or []) for row in self._rows(self._sql("SELECT id, labels FROM {chunks}"))}

    def count(self) -> int:
        rows = self._rows(self._sql("SELECT count(*) FROM {chunks}"))
        return int(rows[0][0]) if rows else 0

    def replace(self, delete: Iterable[str], add: list[ChunkRecord]) -> None:
        add = list({r.chunk.id: r for r in add}.values())
        gone = sorted(set(delete) | {r.chunk.id for r in add})
        with self._lock, self._connection() as conn, conn.transaction():
            if not self._ensure_tables(conn, len(add[0].vector) if add else None):
                return
            if gone:
                self._count_terms(conn, gone, -1)
                conn.execute(self._sql("DELETE FROM {chunks} WHERE id = ANY(%s)"), [gone])
            if add:
                has_rows = conn.execute(self._sql("SELECT EXISTS (SELECT FROM {chunks})")).fetchone()[0]
                bulk = len(add) >= _BULK_LOAD and not has_rows
                if bulk:  # building the graph once after the load is ~5x faster than inserting into it
                    conn.execute(self._sql("DROP INDEX IF EXISTS {schema}.chunks_vector_hnsw"))
                self._copy(conn, self._psycopg.sql.Identifier(self.schema, CHUNKS), add)
                if bulk:
                    self._create_hnsw(conn)
                self._count_terms(conn, [r.chunk.id for r in add], 1)
            conn.execute(self._sql("DELETE FROM {terms} WHERE df <= 0"))

    def _count_terms(self, conn, ids: list[str], sign: int) -> None:
        """Add (``sign`` 1) or remove (-1) these chunks' lexemes in the document frequencies and corpus totals
        that keyword ranking (BM25) reads."""
        conn.execute(self._sql(
            "INSERT INTO {terms} (lexeme, df) SELECT u.lexeme, %s * count(*) FROM {chunks} c, unnest(c.tsv) u "
            "WHERE c.id = ANY(%s) GROUP BY u.lexeme "
            "ON CONFLICT (lexeme) DO UPDATE SET df = {terms}.df + EXCLUDED.df"), [sign, ids])
        conn.execute(self._sql(
            "UPDATE {corpus_stats} SET chunks = chunks + %s * s.n, lexemes = lexemes + %s * s.total "
            "FROM (SELECT count(*) AS n, coalesce(sum(length(tsv)), 0) AS total FROM {chunks} WHERE id = ANY(%s)) s"),
            [sign, sign, ids])

    def archive(self, records: list[ChunkRecord]) -> None:
        if not records:
            return
        unique = list({r.chunk.id: r for r in records}.values())
        with self._lock, self._connection() as conn, conn.transaction():
            self._ensure_tables(conn, len(unique[0].vector))
            conn.execute(self._sql("CREATE TEMP TABLE ragtune_staging (LIKE {archive}) ON COMMIT DROP"))
            self._copy(conn, self._psycopg.sql.Identifier("ragtune_staging"), unique)
            conn.execute(self._sql("INSERT INTO {archive} SELECT * FROM ragtune_staging ON CONFLICT (id) DO NOTHING"))

    def archived(self, ids: Iterable[str]) -> dict[str, ChunkRecord]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self._rows(self._sql(f"SELECT {select_list(NAMES)} FROM {{archive}} WHERE id = ANY(%s)"), [wanted])
        records = (record_from_row(dict(zip(NAMES, row))) for row in rows)
        return {r.chunk.id: r for r in records}

    def archive_ids(self) -> set[str]:
        return {row[0] for row in self._rows(self._sql("SELECT id FROM {archive}"))}

    def get(self, ids: Iterable[str]) -> list[Chunk]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        rows = self._rows(self._sql(f"SELECT {select_list()} FROM {{chunks}} WHERE id = ANY(%s)"), [wanted])
        by_id = {row[0]: chunk_from_values(row) for row in rows}
        return [by_id[i] for i in wanted if i in by_id]

    # -- search ---------------------------------------------------------------------------------
    def search_dense(self, vector: np.ndarray, k: int, filters: Filters | None = None,
                     allowed: Allowed = None) -> list[Hit]:
        if k <= 0:
            return []
        where, params = self._where(filters, allowed)
        query = self._sql(
            f"WITH hits AS MATERIALIZED (SELECT {select_list()}, "
            "vector <=> %s AS distance FROM {chunks} WHERE {where} ORDER BY distance LIMIT %s) "
            "SELECT * FROM hits ORDER BY distance + 0, id", where=where)
        with self._connection() as conn, conn.transaction():
            if not self._ensure_tables(conn, None):
                return []
            settings = {"hnsw.ef_search": str(min(max(k, self.ef_search), _EF_SEARCH_MAX))}
            if self._iterative_scan:
                settings["hnsw.iterative_scan"] = "relaxed_order"
            elif filters or allowed is not None or k > _EF_SEARCH_MAX:
                settings["enable_indexscan"] = "off"  # exact scan: never too few
            conn.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(settings)),
                         [part for item in settings.items() for part in item])  # one round trip
            # not prepared: a cached plan would ignore enable_indexscan (pgvector < 0.8)
            rows = conn.execute(query, [np.asarray(vector, dtype=np.float32), *params, k],
                                prepare=None if self._iterative_scan else False).fetchall()
        return [Hit(chunk_from_values(row), 1.0 - float(row[-1])) for row in rows]

    def search_keyword(self, query: str, k: int, filters: Filters | None = None,
                       allowed: Allowed = None) -> list[Hit]:
        if k <= 0 or not query.strip():
            return []
        where, params = self._where(filters, allowed)
        search = self._sql(
            "WITH q AS MATERIALIZED (SELECT t.lexeme, ln(1 + (s.chunks - t.df + 0.5) / (t.df + 0.5)) AS idf, "
            "s.lexemes::float8 / greatest(s.chunks, 1) AS avgdl FROM {terms} t, {corpus_stats} s "
            "WHERE t.lexeme = ANY(%s)) "
            f"SELECT {select_list(prefix='c.')}, "
            "(SELECT sum(q.idf * f.tf * %s / (f.tf + %s * (1 - %s + %s * length(c.tsv) / q.avgdl))) "
            " FROM unnest(c.tsv) u JOIN q ON q.lexeme = u.lexeme, LATERAL (SELECT cardinality(u.positions) AS tf) f"
            ") AS score FROM {chunks} c WHERE c.tsv @@ %s::tsquery AND {where} ORDER BY score DESC, c.id LIMIT %s",
            where=where)
        with self._connection() as conn:
            if not self._ensure_tables(conn, None):
                return []
            found = conn.execute(self._sql(
                "SELECT l, t.df FROM unnest(tsvector_to_array(to_tsvector(%s::regconfig, %s))) l "
                "JOIN {terms} t ON t.lexeme = l ORDER BY t.df, l"), [_TS_CONFIG, query]).fetchall()
            if not found:
                return []
            lexemes = [lexeme for lexeme, _ in found]
            candidates = _rarest(found, _KEYWORD_POSTINGS)
            bm25 = [BM25_K1 + 1, BM25_K1, BM25_B, BM25_B]
            rows = conn.execute(search, [lexemes, *bm25, _tsquery_text(candidates), *params, k]).fetchall()
            if len(rows) < k and len(candidates) < len(lexemes):  # the rare terms alone match too few chunks
                rows = conn.execute(search, [lexemes, *bm25, _tsquery_text(lexemes), *params, k]).fetchall()
        return [Hit(chunk_from_values(row), float(row[-1])) for row in rows]

    # -- metadata -------------------------------------------------------------------------------
    def read_meta(self, key: str) -> Any | None:
        check_meta_key(key)
        with self._connection() as conn:
            row = conn.execute(self._sql("SELECT value FROM {meta} WHERE key = %s"), [key]).fetchone()
        return row[0] if row else None

    def write_meta(self, key: str, value: Any) -> None:
        check_meta_key(key)
        with self._connection() as conn:
            if value is None:
                conn.execute(self._sql("DELETE FROM {meta} WHERE key = %s"), [key])
            else:
                jsonb = self._psycopg.types.json.Jsonb
                conn.execute(self._sql("INSERT INTO {meta} (key, value) VALUES (%s, %s) "
                                       "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"), [key, jsonb(value)])

    def meta_keys(self, prefix: str) -> list[str]:
        with self._connection() as conn:
            rows = conn.execute(self._sql('SELECT key FROM {meta} WHERE starts_with(key, %s) ORDER BY key COLLATE "C"'),
                                [prefix]).fetchall()
        return [row[0] for row in rows]

    def size_bytes(self) -> int:
        with self._connection() as conn:
            row = conn.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                               "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
                               "AND c.relkind IN ('r', 'm')", [self.schema]).fetchone()
        return int(row[0])

    def drop(self) -> None:
        with self._lock, self._connection() as conn, conn.transaction():
            conn.execute(self._sql("DROP TABLE IF EXISTS {chunks}, {archive}, {meta}, {terms}, {corpus_stats}"))
            self._create_meta(conn)
            self._dim = None

    def drop_schema(self) -> None:
        """Delete the whole schema, tables included (e.g. a temporary copy); the store is unusable afterwards."""
        with self._lock, self._connection() as conn:
            conn.execute(self._sql("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            self._dim = None

    @contextmanager
    def rebuilding(self) -> Iterator[PgVectorStore]:
        """A schema ``<schema>_rebuild`` (marked as this schema's rebuild); once complete, it takes this schema's
        name in one transaction, so readers see the old knowledge base or the new one, never neither. A killed
        rebuild leaves it behind, and the next rebuild drops it."""
        sql = self._psycopg.sql
        name = f"{self.schema[:55]}_rebuild"
        self._drop_leftover_rebuild(name)
        fresh = PgVectorStore(self.url, name, self.ef_search)
        fresh.write_meta(_REBUILD_MARK, {"schema": self.schema})
        try:
            yield fresh
            complete = fresh.meta_keys("") != [_REBUILD_MARK]
        except BaseException:
            fresh.drop_schema()
            raise
        if not complete:
            fresh.drop_schema()
            return
        with self._lock, self._connection() as conn, conn.transaction():
            conn.execute(sql.SQL("DELETE FROM {} WHERE key = %s").format(sql.Identifier(name, META)), [_REBUILD_MARK])
            conn.execute(self._sql("DROP SCHEMA {schema} CASCADE"))
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(name),
                                                                       sql.Identifier(self.schema)))
            self._dim = None

    def _drop_leftover_rebuild(self, name: str) -> None:
        """Drop the schema a killed rebuild left (it carries the mark); refuse to touch any other of that name."""
        with self._connection() as conn:
            if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name]).fetchone() is None:
                return
            has_meta = conn.execute("SELECT to_regclass(%s)", [f'"{name}".{META}']).fetchone()[0] is not None
            sql = self._psycopg.sql
            mark = conn.execute(sql.SQL("SELECT value FROM {} WHERE key = %s").format(sql.Identifier(name, META)),
                                [_REBUILD_MARK]).fetchone() if has_meta else None
        if not mark or mark[0] != {"schema": self.schema}:
            raise ConfigError(f"the PostgreSQL schema {name!r}, where `ingest --rebuild` builds the new knowledge base "
                              f"of {self.schema!r}, already exists and holds something else: drop or rename it")
        PgVectorStore(self.url, name, self.ef_search).drop_schema()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every store call on this thread inside the block runs in one transaction (nested: savepoints)."""
        if getattr(self._bound, "conn", None) is not None:
            with self._bound.conn.transaction():
                yield
            return
        with self._pool.connection() as conn:
            self._bound.conn = conn
            try:
                with conn.transaction():
                    yield
            finally:
                self._bound.conn = None
                self._dim = None  # tables created in a rolled-back transaction do not exist

    @contextmanager
    def lock(self) -> Iterator[None]:
        """A session advisory lock on the schema's name: one writer per schema, across machines.

        Held on a connection of its own (autocommit: no transaction stays open); a killed writer's
        connection closes and the server releases the lock.
        """
        key = f"ragtune:{self.schema}"
        try:
            conn = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except self._psycopg.Error as exc:
            raise RagtuneError(f"cannot connect to PostgreSQL at {redact(self.url)}: {_first_line(exc, self.url)}; "
                               "check store.url and that the server is running") from None
        with conn:
            if not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key]).fetchone()[0]:
                raise StoreBusy(f"another ingest is running on PostgreSQL schema {self.schema!r} at "
                                   f"{redact(self.url)}; wait for it to finish")
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])

