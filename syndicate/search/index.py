"""Keeping the search index in step with the entries, inside the transaction that changes them.

The editorial service calls `refresh(entry)` after every change to an entry and
`remove(entry)` when it is withdrawn, inside its write scope: a withdrawn entry's
words leave the index in the same commit that withdraws it. `fill` builds the index
for entries written some other way (the migration, the benchmark's bulk loader).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import REGCONFIG

from ..extensions import db
from ..models import Correction, Entry, SearchDocument
from .words import CONFIGS, SIMPLE, config_for, language_of, stems

# Tables and indexes the database engine's own search machinery owns, outside the models:
# SQLite's FTS5 table (with its shadow tables), PostgreSQL's GIN index.
FTS_TABLE = "search_fts"
GIN_INDEX = "ix_search_document_words"

SQLITE_DDL = (
    # External content: the stemmed words live once, in search_document; FTS5 keeps only its index.
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(words, content='search_document', content_rowid='entry_id', "
    "tokenize='unicode61 remove_diacritics 0')",
    # The triggers keep the FTS index in the same transaction as the row, whoever writes it.
    f"CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, words) VALUES (new.entry_id, new.words); END",
    f"CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, words) VALUES ('delete', old.entry_id, old.words); END",
    f"CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, words) VALUES ('delete', old.entry_id, old.words); "
    f"INSERT INTO {FTS_TABLE}(rowid, words) VALUES (new.entry_id, new.words); END",
)
SQLITE_DROP = ("DROP TRIGGER IF EXISTS search_document_au", "DROP TRIGGER IF EXISTS search_document_ad",
               "DROP TRIGGER IF EXISTS search_document_ai", f"DROP TABLE IF EXISTS {FTS_TABLE}")
POSTGRES_DDL = (f"CREATE INDEX {GIN_INDEX} ON search_document USING gin (words)",)


def in_models(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: False for what the engine's search machinery owns, which no model declares."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name == GIN_INDEX)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def refresh(entry: Entry) -> None:
    """Index an entry as it now stands (headline, body, corrections); a withdrawn one is taken out.

    Call inside the write scope that changed it.
    """
    if entry.status != "published":
        remove(entry)
        return
    db.session.flush()  # the entry's id, and its new corrections
    language = language_of(entry.story.language)
    corrections = " ".join(c.text for c in entry.corrections)
    remove(entry)
    row = {"entry_id": entry.id, "language": language, "published_at": entry.published_at,
           "embargo_until": entry.embargo_until}
    if _dialect() == "postgresql":
        row["words"] = _tsvector(config_for(language), sa.bindparam("h", entry.headline),
                                 sa.bindparam("b", entry.body_text or ""), sa.bindparam("c", corrections))
    else:
        row["words"] = stemmed(entry.headline, entry.body_text or "", corrections, language)
    db.session.execute(insert(SearchDocument).values(**row))


def remove(entry: Entry) -> None:
    """Take an entry's words out of the index (withdrawn), inside the caller's write scope."""
    db.session.execute(delete(SearchDocument).where(SearchDocument.entry_id == entry.id))


def stemmed(headline: str, body: str, corrections: str, language: str) -> str:
    return " ".join(stems(f"{headline}\n{body}\n{corrections}", language))


def _tsvector(config, headline, body, corrections):
    """Headline, body and corrections weighted A, B, C, so a match in the headline ranks first."""
    cfg = sa.cast(config, REGCONFIG) if isinstance(config, str) else config

    def part(text, weight: str):
        # The weight is a "char", which a bound VARCHAR is not: it is written into the statement.
        return sa.func.setweight(sa.func.to_tsvector(cfg, text), sa.literal_column(f"'{weight}'"))

    return part(headline, "A").op("||")(part(body, "B")).op("||")(part(corrections, "C"))


# --- filling the index for entries written in bulk ---------------------------------------------------

BATCH = 2000


def fill(bind: sa.engine.Connection, batch: int = BATCH, log=None) -> int:
    """Index every published entry, in id-ordered batches (the migration's and the bulk loader's way).

    Returns how many were indexed. Entries already indexed are indexed again.
    """
    entry, story = Entry.__table__, sa.table("story", sa.column("id"), sa.column("language"))
    correction = Correction.__table__
    doc = SearchDocument.__table__
    postgres = bind.dialect.name == "postgresql"
    last, done = 0, 0
    while True:
        top = bind.execute(select(entry.c.id).where(entry.c.id > last).order_by(entry.c.id)
                           .offset(batch - 1).limit(1)).scalar()
        where = [entry.c.id > last] + ([entry.c.id <= top] if top is not None else [])
        bind.execute(delete(doc).where(doc.c.entry_id.in_(select(entry.c.id).where(*where))))
        if postgres:
            done += _fill_postgres(bind, entry, story, correction, doc, where)
        else:
            done += _fill_sqlite(bind, entry, story, correction, doc, where)
        if top is None:
            return done
        last = top
        if log:
            log(last, done)


def _fill_postgres(bind, entry, story, correction, doc, where) -> int:
    base = sa.func.lower(sa.func.split_part(story.c.language, "-", 1))
    language = sa.case((base == "", "en"), else_=sa.func.left(base, 8))
    config = sa.cast(sa.case(*((language == code, name) for code, name in CONFIGS.items()), else_=SIMPLE),
                     REGCONFIG)
    corrections = sa.func.coalesce(
        select(sa.func.string_agg(correction.c.text, " ")).where(correction.c.entry_id == entry.c.id)
        .scalar_subquery(), "")
    rows = (select(entry.c.id, language, entry.c.published_at, entry.c.embargo_until,
                   _tsvector(config, entry.c.headline, entry.c.body_text, corrections))
            .select_from(entry.join(story, story.c.id == entry.c.story_id))
            .where(entry.c.status == "published", *where))
    result = bind.execute(insert(doc).from_select(
        ["entry_id", "language", "published_at", "embargo_until", "words"], rows))
    return result.rowcount


def _fill_sqlite(bind, entry, story, correction, doc, where) -> int:
    rows = bind.execute(
        select(entry.c.id, story.c.language, entry.c.published_at, entry.c.embargo_until, entry.c.headline,
               entry.c.body_text)
        .select_from(entry.join(story, story.c.id == entry.c.story_id))
        .where(entry.c.status == "published", *where)).all()
    if not rows:
        return 0
    notes: dict[int, list[str]] = {}
    for entry_id, text in bind.execute(select(correction.c.entry_id, correction.c.text)
                                       .where(correction.c.entry_id.in_([r[0] for r in rows]))
                                       .order_by(correction.c.id)):
        notes.setdefault(entry_id, []).append(text)
    values = []
    for entry_id, tag, published_at, embargo_until, headline, body in rows:
        language = language_of(tag)
        values.append({"entry_id": entry_id, "language": language, "published_at": published_at,
                       "embargo_until": embargo_until,
                       "words": stemmed(headline, body or "", " ".join(notes.get(entry_id, [])), language)})
    bind.execute(insert(doc), values)
    return len(values)
