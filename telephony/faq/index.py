"""The full-text index behind one interface: SQLite FTS5, or PostgreSQL full text search.

Documents arrive already analysed (folded, stemmed terms separated by spaces, see
`telephony.faq.text`), so both engines index the same terms and only rank: FTS5 with
bm25(), PostgreSQL with ts_rank() over weighted tsvectors. A query is a list of groups of
phrases (tuples of terms): an entry must hold a phrase of every group. Every term is
quoted, so nothing a user types reaches either query language as syntax.

The tables are made and rebuilt here, not by the ORM metadata or the migrations: they are
a cache of the content files, rebuilt whenever the content hash changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

#: Prefixes of the tables owned by the index (Alembic's autogenerate leaves them alone).
TABLES = ("faq_fts", "faq_search", "faq_index_meta")
META_DDL = (
    "CREATE TABLE IF NOT EXISTS faq_index_meta "
    "(name VARCHAR(40) PRIMARY KEY, value VARCHAR(200) NOT NULL)"
)


@dataclass(frozen=True)
class Document:
    locale: str
    slug: str
    question: str  # analysed terms, space-separated
    keywords: str
    body: str


@dataclass(frozen=True)
class Hit:
    slug: str
    score: float  # higher is better


Phrase = tuple[str, ...]


class SearchIndex:
    """What the FAQ needs from a full-text engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    #: Bump when the tables' layout changes: an index built the old way is rebuilt.
    LAYOUT = "1"

    def is_current(self, content_hash: str) -> bool:
        """Whether the stored index holds this content, laid out as this code expects."""
        with self.engine.connect() as conn:
            if not self._has_table(conn, "faq_index_meta"):
                return False
            stored = conn.execute(
                text("SELECT value FROM faq_index_meta WHERE name = 'content_hash'")
            ).scalar()
        return stored == f"{content_hash}/{self.LAYOUT}"

    def rebuild(self, documents: Iterable[Document], content_hash: str) -> int:
        rows = [doc.__dict__ for doc in documents]
        with self.engine.begin() as conn:
            self._lock(conn)
            conn.execute(text(META_DDL))
            self._recreate(conn)
            if rows:
                conn.execute(text(self.INSERT), rows)
            self._indexed(conn)
            self._store_hash(conn, content_hash)
        return len(rows)

    def _indexed(self, conn: Connection) -> None:
        """After the rows are in: build the indexes and what the planner needs."""

    def _store_hash(self, conn: Connection, content_hash: str) -> None:
        conn.execute(text("DELETE FROM faq_index_meta WHERE name = 'content_hash'"))
        conn.execute(
            text("INSERT INTO faq_index_meta (name, value) VALUES ('content_hash', :v)"),
            {"v": f"{content_hash}/{self.LAYOUT}"},
        )

    def drop(self, conn: Connection) -> None:
        for table in ("faq_search", "faq_index_meta"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))  # noqa: S608 - constants

    def search(
        self,
        locale: str,
        groups: Sequence[Sequence[Phrase]],
        limit: int = 10,
        *,
        questions_only: bool = False,
    ) -> list[Hit]:
        """Entries of `locale` holding a phrase of every group, best first; with
        `questions_only`, holding them in the question or the keywords."""
        raise NotImplementedError

    # Engine-specific parts.
    INSERT = ""

    def _recreate(self, conn: Connection) -> None:
        raise NotImplementedError

    def _lock(self, conn: Connection) -> None:
        """Serialise concurrent rebuilds (several workers starting at once)."""

    def _has_table(self, conn: Connection, name: str) -> bool:
        from sqlalchemy import inspect

        return inspect(conn).has_table(name)


class Fts5Index(SearchIndex):
    """SQLite FTS5: contentless tables per locale, so a search reads only its locale's
    postings and needs no column filter (a filter makes FTS5 decode the position lists of
    every matching row): `faq_fts_frfr` holds question, keywords and answer,
    `faq_fts_frfr_heads` the questions and keywords alone, for the searches that look there
    only (a word there is rarer than in the answers). The heads table keeps no column sizes:
    bm25 then skips a lookup per entry it ranks (most of its cost, three times faster
    without), and questions are all short, so their length would tell little anyway.
    `faq_fts_doc` maps their rowids to slugs; rowids follow (locale, slug) order, so ties in
    score keep the slug order."""

    #: 1: one faq_fts table with a locale column; 2: a table per locale; 3: and a heads
    #: table per locale.
    LAYOUT = "3"
    DOCS_DDL = (
        "CREATE TABLE faq_fts_doc (id INTEGER PRIMARY KEY, loc VARCHAR(16) NOT NULL, "
        "slug VARCHAR(80) NOT NULL)"
    )
    #: Column weights for bm25().
    WEIGHTS = {"question": 8.0, "keywords": 4.0, "body": 1.0}
    SEARCH = (
        "SELECT d.slug, f.score FROM (SELECT rowid, bm25({table}, {weights}) AS score "
        "FROM {table} WHERE {table} MATCH :match ORDER BY score, rowid LIMIT :limit) AS f "
        "JOIN faq_fts_doc AS d ON d.id = f.rowid ORDER BY f.score, f.rowid"
    )

    def rebuild(self, documents: Iterable[Document], content_hash: str) -> int:
        docs = sorted(documents, key=lambda d: (d.locale, d.slug))
        with self.engine.begin() as conn:
            conn.execute(text(META_DDL))
            self.drop(conn, keep_meta=True)
            conn.execute(text(self.DOCS_DDL))
            for locale in sorted({d.locale for d in docs}):
                for table, columns in self._tables_of(locale):
                    sizes = "" if "body" in columns else "columnsize = 0, "
                    conn.execute(
                        text(
                            f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(columns)}, "
                            f"content = '', {sizes}tokenize = 'unicode61 remove_diacritics 2', "
                            "detail = 'full')"
                        )
                    )
            rows = [{"id": n, "loc": d.locale, "slug": d.slug} for n, d in enumerate(docs, 1)]
            if rows:
                conn.execute(
                    text("INSERT INTO faq_fts_doc (id, loc, slug) VALUES (:id, :loc, :slug)"), rows
                )
            for locale in sorted({d.locale for d in docs}):
                rows = [
                    {"id": n, "question": d.question, "keywords": d.keywords, "body": d.body}
                    for n, d in enumerate(docs, 1)
                    if d.locale == locale
                ]
                for table, columns in self._tables_of(locale):
                    names = ", ".join(columns)
                    values = ", ".join(f":{column}" for column in columns)
                    conn.execute(
                        text(f"INSERT INTO {table} (rowid, {names}) VALUES (:id, {values})"),  # noqa: S608
                        rows,
                    )
            self._store_hash(conn, content_hash)
        self._tables = None
        return len(docs)

    def drop(self, conn: Connection, keep_meta: bool = False) -> None:
        names = conn.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name GLOB 'faq_fts_*' AND sql LIKE 'CREATE VIRTUAL%'"
            )
        ).scalars()
        for name in list(names):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))  # noqa: S608 - our own tables
        conn.execute(text("DROP TABLE IF EXISTS faq_fts_doc"))
        conn.execute(
            text("DROP TABLE IF EXISTS faq_fts")
        )  # one table for all locales, until 2026-11
        if not keep_meta:
            conn.execute(text("DROP TABLE IF EXISTS faq_index_meta"))
        self._tables = None

    def search(
        self,
        locale: str,
        groups: Sequence[Sequence[Phrase]],
        limit: int = 10,
        *,
        questions_only: bool = False,
    ) -> list[Hit]:
        groups = [group for group in groups if group]
        table, columns = self._tables_of(locale)[1 if questions_only else 0]
        if not groups or table not in self._existing_tables():
            return []
        match = " AND ".join(
            "(" + " OR ".join(_fts5_phrase(p) for p in group) + ")" for group in groups
        )
        weights = ", ".join(str(self.WEIGHTS[column]) for column in columns)
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(self.SEARCH.format(table=table, weights=weights)),
                {"match": match, "limit": limit},
            ).all()
        return [Hit(slug, -score) for slug, score in rows]

    @staticmethod
    def _tables_of(locale: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The locale's tables and their columns: everything, then the heads only."""
        table = _fts5_table(locale)
        return (
            (table, ("question", "keywords", "body")),
            (f"{table}_heads", ("question", "keywords")),
        )

    _tables: frozenset[str] | None = None

    def _existing_tables(self) -> frozenset[str]:
        if self._tables is None:
            with self.engine.connect() as conn:
                self._tables = frozenset(
                    conn.execute(
                        text(
                            "SELECT name FROM sqlite_master "
                            "WHERE type = 'table' AND name GLOB 'faq_fts_*'"
                        )
                    ).scalars()
                )
        return self._tables


class PostgresIndex(SearchIndex):
    """PostgreSQL: a tsvector per document (question A, keywords B, answer C) in
    `faq_search`, and of its heads alone (question and keywords) in `faq_search_heads`,
    each GIN-indexed, with the 'simple' configuration (the terms are stemmed already). The
    heads table is what SQLite's is: the searches that look in questions and keywords only
    find exactly their entries and rank short vectors in a narrow table, rather than every
    entry holding the word anywhere, filtered by weight afterwards (the worst search of
    the benchmark: 8 ms, 3 ms).

    The indexes are built after the rows, then the table is analysed: a table the planner
    has no statistics of is read whole and every document tested (10,000 entries: 13 ms a
    search rather than 1)."""

    #: 1: one weighted document; 2: and the heads, indexes after the rows, analysed.
    LAYOUT = "2"
    INSERT = (
        "INSERT INTO faq_search (loc, slug, document) VALUES (:locale, :slug, "
        "setweight(to_tsvector('simple', :question), 'A') || "
        "setweight(to_tsvector('simple', :keywords), 'B') || "
        "setweight(to_tsvector('simple', :body), 'C'))"
    )
    HEADS = (
        "INSERT INTO faq_search_heads (loc, slug, document) "
        "SELECT loc, slug, ts_filter(document, '{a,b}') FROM faq_search ORDER BY loc, slug"
    )
    SEARCH = (
        "SELECT slug, ts_rank(document, query, 1) AS score "
        "FROM {table}, to_tsquery('simple', :query) AS query "
        "WHERE loc = :locale AND document @@ query ORDER BY score DESC, slug LIMIT :limit"
    )

    def _lock(self, conn: Connection) -> None:
        conn.execute(text("SELECT pg_advisory_xact_lock(727384001)"))

    def _recreate(self, conn: Connection) -> None:
        for table in ("faq_search", "faq_search_heads"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))  # noqa: S608 - constants
            conn.execute(
                text(
                    f"CREATE TABLE {table} (loc VARCHAR(8) NOT NULL, "  # noqa: S608
                    "slug VARCHAR(80) NOT NULL, document TSVECTOR NOT NULL, "
                    "PRIMARY KEY (loc, slug))"
                )
            )

    def _indexed(self, conn: Connection) -> None:
        conn.execute(text(self.HEADS))
        for table in ("faq_search", "faq_search_heads"):
            conn.execute(text(f"CREATE INDEX {table}_document ON {table} USING GIN (document)"))
            conn.execute(text(f"ANALYZE {table}"))

    def drop(self, conn: Connection) -> None:
        conn.execute(text("DROP TABLE IF EXISTS faq_search_heads"))
        super().drop(conn)

    def search(
        self,
        locale: str,
        groups: Sequence[Sequence[Phrase]],
        limit: int = 10,
        *,
        questions_only: bool = False,
    ) -> list[Hit]:
        groups = [group for group in groups if group]
        if not groups:
            return []
        query = " & ".join(
            "(" + " | ".join(_tsquery_phrase(p) for p in group) + ")" for group in groups
        )
        table = "faq_search_heads" if questions_only else "faq_search"
        # One statement that writes nothing: no transaction around it (BEGIN and the
        # pool's ROLLBACK are two round trips of a search's four).
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            rows = conn.execute(
                text(self.SEARCH.format(table=table)),
                {"query": query, "locale": locale, "limit": limit},
            ).all()
        return [Hit(slug, float(score)) for slug, score in rows]


def _fts5_table(locale: str) -> str:
    """The locale's FTS5 table: `faq_fts_frfr` for fr_FR (letters only, so safe in SQL)."""
    return "faq_fts_" + "".join(ch for ch in locale.lower() if ch.isascii() and ch.isalpha())


def _fts5_phrase(phrase: Phrase) -> str:
    return '"' + " ".join(term.replace('"', '""') for term in phrase) + '"'


def _tsquery_phrase(phrase: Phrase) -> str:
    quoted = ["'" + term.replace("'", "''").replace("\\", "") + "'" for term in phrase]
    return quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")"


def index_for(engine: Engine) -> SearchIndex:
    if engine.dialect.name == "postgresql":
        return PostgresIndex(engine)
    if engine.dialect.name == "sqlite":
        return Fts5Index(engine)
    raise RuntimeError(f"no FAQ search index for {engine.dialect.name}")


def drop_with_metadata(metadata) -> None:
    """Drop the index tables whenever the ORM tables are dropped (tests, resets). Called
    once by the app factory; listening twice would drop them twice."""
    if not event.contains(metadata, "after_drop", _drop_index):
        event.listen(metadata, "after_drop", _drop_index)


def _drop_index(_target, connection, **_kw) -> None:
    index_for(connection.engine).drop(connection)
