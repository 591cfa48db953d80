"""The full-text index behind one interface: SQLite FTS5, or PostgreSQL full text search.

Documents arrive already analysed (folded, stemmed terms separated by spaces, see
`telephony.faq.text`), so both engines index the same terms and only rank: FTS5 with
bm25(), PostgreSQL with ts_rank() over weighted tsvectors. Queries are lists of phrases
(tuples of terms) joined by OR; every term is quoted, so nothing a user types reaches
either query language as syntax.

The tables are made and rebuilt here, not by the ORM metadata or the migrations: they are
a cache of the content files, rebuilt whenever the content hash changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

#: Tables owned by the index (Alembic's autogenerate is told to leave them alone).
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

    def stored_hash(self) -> str | None:
        with self.engine.connect() as conn:
            if not self._has_table(conn, "faq_index_meta"):
                return None
            return conn.execute(
                text("SELECT value FROM faq_index_meta WHERE name = 'content_hash'")
            ).scalar()

    def rebuild(self, documents: Iterable[Document], content_hash: str) -> int:
        rows = [doc.__dict__ for doc in documents]
        with self.engine.begin() as conn:
            self._lock(conn)
            conn.execute(text(META_DDL))
            self._recreate(conn)
            if rows:
                conn.execute(text(self.INSERT), rows)
            conn.execute(text("DELETE FROM faq_index_meta WHERE name = 'content_hash'"))
            conn.execute(
                text("INSERT INTO faq_index_meta (name, value) VALUES ('content_hash', :v)"),
                {"v": content_hash},
            )
        return len(rows)

    def drop(self, conn: Connection) -> None:
        for table in TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))  # noqa: S608 - constants

    def search(self, locale: str, phrases: Sequence[Phrase], limit: int = 10) -> list[Hit]:
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
    """SQLite FTS5. The locale is an indexed column, used as a column filter in MATCH."""

    INSERT = (
        "INSERT INTO faq_fts (slug, loc, question, keywords, body) "
        "VALUES (:slug, :locale, :question, :keywords, :body)"
    )
    # Column weights for bm25(): slug, loc, question, keywords, body.
    SEARCH = (
        "SELECT slug, bm25(faq_fts, 0.0, 0.0, 8.0, 4.0, 1.0) AS score FROM faq_fts "
        "WHERE faq_fts MATCH :match ORDER BY score, slug LIMIT :limit"
    )

    def rebuild(self, documents: Iterable[Document], content_hash: str) -> int:
        docs = [
            Document(_loc_token(d.locale), d.slug, d.question, d.keywords, d.body)
            for d in documents
        ]
        return super().rebuild(docs, content_hash)

    def _recreate(self, conn: Connection) -> None:
        conn.execute(text("DROP TABLE IF EXISTS faq_fts"))
        conn.execute(
            text(
                "CREATE VIRTUAL TABLE faq_fts USING fts5("
                "slug UNINDEXED, loc, question, keywords, body, "
                "tokenize = 'unicode61 remove_diacritics 2', detail = 'full')"
            )
        )

    def search(self, locale: str, phrases: Sequence[Phrase], limit: int = 10) -> list[Hit]:
        if not phrases:
            return []
        alternatives = " OR ".join(_fts5_phrase(p) for p in phrases)
        match = f'loc : "{_loc_token(locale)}" AND {{question keywords body}} : ({alternatives})'
        with self.engine.connect() as conn:
            rows = conn.execute(text(self.SEARCH), {"match": match, "limit": limit}).all()
        return [Hit(slug, -score) for slug, score in rows]


class PostgresIndex(SearchIndex):
    """PostgreSQL: a tsvector per document (question A, keywords B, answer C), GIN-indexed,
    with the 'simple' configuration (the terms are stemmed already)."""

    INSERT = (
        "INSERT INTO faq_search (loc, slug, document) VALUES (:locale, :slug, "
        "setweight(to_tsvector('simple', :question), 'A') || "
        "setweight(to_tsvector('simple', :keywords), 'B') || "
        "setweight(to_tsvector('simple', :body), 'C'))"
    )
    SEARCH = (
        "SELECT slug, ts_rank(document, query, 1) AS score "
        "FROM faq_search, to_tsquery('simple', :query) AS query "
        "WHERE loc = :locale AND document @@ query ORDER BY score DESC, slug LIMIT :limit"
    )

    def _lock(self, conn: Connection) -> None:
        conn.execute(text("SELECT pg_advisory_xact_lock(727384001)"))

    def _recreate(self, conn: Connection) -> None:
        conn.execute(text("DROP TABLE IF EXISTS faq_search"))
        conn.execute(
            text(
                "CREATE TABLE faq_search (loc VARCHAR(8) NOT NULL, slug VARCHAR(80) NOT NULL, "
                "document TSVECTOR NOT NULL, PRIMARY KEY (loc, slug))"
            )
        )
        conn.execute(text("CREATE INDEX faq_search_document ON faq_search USING GIN (document)"))

    def search(self, locale: str, phrases: Sequence[Phrase], limit: int = 10) -> list[Hit]:
        if not phrases:
            return []
        query = " | ".join(_tsquery_phrase(p) for p in phrases)
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(self.SEARCH), {"query": query, "locale": locale, "limit": limit}
            ).all()
        return [Hit(slug, float(score)) for slug, score in rows]


def _loc_token(locale: str) -> str:
    return "loc" + locale.replace("_", "").lower()


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
    """Drop the index tables whenever the ORM tables are dropped (tests, resets)."""

    @event.listens_for(metadata, "after_drop")
    def _drop(_target, connection, **_kw):
        index_for(connection.engine).drop(connection)
