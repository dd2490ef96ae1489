"""Running a search: matching entries in one language, newest or best first, a page at a time.

Every published entry matches for every reader (withdrawn ones are not in the index at
all); what a reader may see of a match is decided when it is shown (see views.py).
Embargoed entries match no one until their embargo ends.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import REGCONFIG

from ..extensions import db
from ..models import Entry, SearchDocument
from . import words as w

MAX_QUERY = 200  # characters a query may have; a longer one is refused (400), not cut
PAGE_SIZE = 20
MAX_PAGES = 50
# "Best first" ranks the newest POOL matches: ranking every match of a common word at a
# million entries would take seconds, and a reader never pages past POOL anyway.
POOL = PAGE_SIZE * MAX_PAGES
SORTS = ("newest", "best")


def normalise(query: str) -> str:
    """The query as the cache and the database see it: NFC, invisible characters out, one space between words."""
    text = unicodedata.normalize("NFC", query)
    return " ".join("".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in text).split())


@dataclass
class Found:
    ids: list[int]  # this page's entries, in order
    more: bool  # whether another page follows


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _visible(now: datetime, language: str):
    return [SearchDocument.language == language, _embargo_over(now)]


def _embargo_over(now: datetime):
    doc = SearchDocument
    return sa.or_(doc.embargo_until.is_(None), doc.embargo_until <= now)


def find(query: str, language: str, sort: str, page: int, now: datetime) -> Found:
    """The entry ids on one page of a search's results."""
    offset = (page - 1) * PAGE_SIZE
    if offset >= POOL or not w.words(query):
        return Found([], False)
    run = _find_postgres if _postgres() else _find_sqlite
    ids = run(query, language, sort, offset, PAGE_SIZE + 1, now)
    return Found(ids[:PAGE_SIZE], len(ids) > PAGE_SIZE and offset + PAGE_SIZE < POOL)


def _tsquery(query: str, language: str):
    return func.websearch_to_tsquery(sa.cast(w.config_for(language), REGCONFIG), query)


def _find_postgres(query, language, sort, offset, limit, now) -> list[int]:
    doc = SearchDocument
    tsquery = _tsquery(query, language)
    where = [*_visible(now, language), doc.words.bool_op("@@")(tsquery)]
    newest = (doc.published_at.desc(), doc.entry_id.desc())
    if sort == "newest":
        stmt = select(doc.entry_id).where(*where).order_by(*newest).offset(offset).limit(limit)
        return list(db.session.scalars(stmt))
    # Ranked outside the pool's own query, so ts_rank_cd runs on POOL rows at most.
    pool = select(doc.entry_id, doc.published_at, doc.words).where(*where).order_by(*newest).limit(POOL).subquery()
    score = func.ts_rank_cd(pool.c.words, tsquery)
    stmt = (select(pool.c.entry_id).order_by(score.desc(), pool.c.published_at.desc(), pool.c.entry_id.desc())
            .offset(offset).limit(limit))
    return list(db.session.scalars(stmt))


# Three ways to find a page of FTS5 matches newest first, chosen by how many there are (at a million
# entries: listing a match costs about 1 us, asking FTS5 about one entry some 30 us, sorting a match
# found by FTS5 some 5 us):
# - past CROWDED matches, walk the newest entries asking FTS5 about each: a page comes soon;
# - at SORT_ALL matches or fewer per row wanted (a page, or "best first"'s pool), let FTS5 list
#   them and sort them all, rather than walk the newest entries until enough have turned up;
# - in between, walk the newest entries, looking each up in the list of matches.
CROWDED = 25_000
SORT_ALL = 10


def _find_sqlite(query, language, sort, offset, limit, now) -> list[int]:
    match = w.fts_match(query, language)
    if match is None:
        return []
    doc = SearchDocument
    wanted = POOL if sort == "best" else offset + limit
    matches = _match_count(match, CROWDED)
    visible = _visible(now, language)
    order = (doc.published_at.desc(), doc.entry_id.desc())
    if matches >= CROWDED:
        matching = text("EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH :match "
                        "AND search_fts.rowid = search_document.entry_id)")
    else:
        matching = text("search_document.entry_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :match)")
        if matches <= SORT_ALL * wanted:
            # A unary + keeps SQLite off the indexes on language and published_at, which it would
            # otherwise walk: each match is then found by its key and the few of them sorted.
            visible = [text("+search_document.language = :language").bindparams(language=language),
                       _embargo_over(now)]
            order = (text("+search_document.published_at DESC"), doc.entry_id.desc())
    newest = select(doc.entry_id).where(*visible, matching.bindparams(match=match)).order_by(*order)
    if sort == "newest":
        return list(db.session.scalars(newest.offset(offset).limit(limit)))
    pool = db.session.execute(newest.add_columns(doc.words).limit(POOL)).all()
    ranked = w.rank(pool, match_terms(query, language))
    return ranked[offset:offset + limit]


def _match_count(match: str, cap: int) -> int:
    """How many entries an FTS5 query matches, counting no further than `cap`."""
    return db.session.scalar(text("SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH :match "
                                  "LIMIT :cap)"), {"match": match, "cap": cap})


def match_terms(query: str, language: str) -> list[str]:
    return list(dict.fromkeys(w.stems(query, language)))


def load(ids: list[int]) -> list[Entry]:
    """The entries of a page of results, in the order found."""
    if not ids:
        return []
    # By primary key alone: with the status in the query too, SQLite (never ANALYZEd) walks the
    # status index over every published entry instead. Only published entries are indexed anyway.
    by_id = {e.id: e for e in db.session.scalars(select(Entry).where(Entry.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id and by_id[i].status == "published"]


def embargo_mark(now: datetime) -> datetime | None:
    """The latest embargo that has ended: results change when it moves, so cached pages key on it."""
    doc = SearchDocument
    return db.session.scalar(select(func.max(doc.embargo_until)).where(doc.embargo_until <= now))


def snippets(entries: list[Entry], query: str, language: str) -> dict[int, Markup]:
    """Marked snippets of the body and corrections of the given entries (only ones the reader may read)."""
    if not entries:
        return {}
    texts = {e.id: _readable_text(e) for e in entries}
    if not _postgres():
        return {i: w.highlight(t, query, language) for i, t in texts.items()}
    # ts_headline is slow: it runs here on one page's entries only, on text sent from these rows.
    # Its marks are control characters no stored text holds, turned into <mark> after escaping.
    values = sa.values(sa.column("id", sa.Integer), sa.column("body", sa.Text), name="page_text").data(
        [(i, t.replace("\x01", " ").replace("\x02", " ")) for i, t in texts.items()])
    headline = func.ts_headline(
        sa.cast(w.config_for(language), REGCONFIG), values.c.body, _tsquery(query, language),
        "StartSel=\x01, StopSel=\x02, MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=\" \u2026 \"")
    rows = db.session.execute(select(values.c.id, headline)).all()
    return {i: _marked(h) for i, h in rows}


def _readable_text(entry: Entry) -> str:
    return "\n".join([entry.body_text or "", *(c.text for c in entry.corrections)])


def _marked(headline: str) -> Markup:
    escaped = str(Markup.escape(headline))
    return Markup(escaped.replace("\x01", "<mark>").replace("\x02", "</mark>"))
