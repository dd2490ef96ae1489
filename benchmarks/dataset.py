"""Build a benchmark newsroom: N entries spread over local days, written in bulk.

The schema comes from `syndicate init`; rows go in with SQLAlchemy Core
executemany, and the derived state the app reads is kept exactly as
syndicate/editorial/service.py keeps it: `coverage_day` holds each day's count of
published entries, and `site_state.version` is raised once the data is in.

Generation is deterministic and runs from the newest day backwards, so a smaller
data set is the newest part of a larger one: the day measured in both holds the
same entries, and only the size of the tables around it differs. The newest day
(yesterday) is the busiest, with BUSIEST_DAY updates or more: a day of breaking news.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta, timezone
from zoneinfo import ZoneInfo

SEED = 20201104
MARKER_SLUG = "bench-marker"  # a story whose summary records how the data set was made
BUSIEST_DAY = 320  # updates on the newest day, the live day at its busiest

REGIONS = [
    # slug, name, covered by the naming note
    ("abkhazia", "Abkhazia", True),
    ("south-ossetia", "South Ossetia", True),
    ("nagorno-karabakh", "Nagorno-Karabakh", True),
    ("tbilisi", "Tbilisi", False),
    ("yerevan", "Yerevan", False),
    ("baku", "Baku", False),
    ("adjara", "Adjara", False),
    ("syunik", "Syunik", False),
]
PLACES = [("Shusha", "Shushi"), ("Lachin", "Berdzor"), ("Stepanakert", "Khankandi")]
NAMING_NOTE = (
    "Our editorial note on naming: we do not use qualifiers such as \u201cde facto\u201d or "
    "\u201cunrecognised\u201d for institutions in the disputed regions we cover (for example Abkhazia, "
    "Nagorno-Karabakh, South Ossetia); this implies no position on their status. Places with two "
    "names are written with both, e.g. Shusha (Shushi)."
)
WORDS = (
    "ceasefire convoy shelling border talks ministry statement residents evacuation bridge village "
    "humanitarian corridor monitors mission delegation checkpoint airport hospital power water "
    "refugees negotiators artillery drone mediators parliament prosecutor journalists road mountain "
    "electricity school market volunteers council observers governor mayor reporters council"
).split()
PLACE_PHRASES = ["Shusha (Shushi)", "Lachin (Berdzor)", "Stepanakert (Khankandi)", "Sukhumi", "Tskhinvali"]


@dataclass
class BuildInfo:
    entries: int
    days: int
    stories: int
    newest_day: date
    seconds: float


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), "in " + rng.choice(PLACE_PHRASES))
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _body(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(2, 4)):
        paragraphs.append("<p>" + " ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(1, 3))) + "</p>")
    if rng.random() < 0.2:
        paragraphs.append('<p>Source: <a href="https://example.org/report">the monitors\u2019 report</a>.</p>')
    return "\n".join(paragraphs)


def init_schema(database_url: str, env: dict, cwd: str) -> None:
    """`syndicate init`: the schema through the project's own migrations."""
    subprocess.run(
        [sys.executable, "-c", "from syndicate.cli import main; main()", "init"],
        env={**env, "SYNDICATE_DATABASE_URL": database_url}, cwd=cwd, check=True,
        stdout=subprocess.DEVNULL,
    )


def existing(app) -> dict | None:
    """The marker of a data set already built into this database, or None when it is empty."""
    from sqlalchemy import func, select

    from syndicate.extensions import db
    from syndicate.models import Entry, Story

    with app.app_context():
        marker = db.session.scalar(select(Story.summary).where(Story.slug == MARKER_SLUG))
        if marker:
            return dict(part.split("=", 1) for part in marker.split(";"))
        if db.session.scalar(select(func.count()).select_from(Entry)):
            return {"entries": "foreign"}
    return None


def build(app, n_entries: int, *, log=print) -> BuildInfo:
    """Write n_entries entries (plus stories, regions, the naming note) into the app's empty database."""
    from sqlalchemy import insert, update

    from syndicate.extensions import db
    from syndicate.models import Day, NamingNote, Place, Region, SiteState, Story
    from syndicate.models.content import entry_regions, story_regions
    from syndicate.models import Entry
    from syndicate.text import plain_text

    started = time.perf_counter()
    rng = random.Random(SEED)
    tz = ZoneInfo(app.config["TIMEZONE"])
    now = datetime.now(timezone.utc)
    newest_day = (now.astimezone(tz) - timedelta(days=1)).date()  # yesterday: every entry is in the past

    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
                conn.exec_driver_sql("PRAGMA cache_size=-400000")
            conn.execute(insert(Region.__table__), [
                {"id": i + 1, "slug": s, "name": n, "covered": c} for i, (s, n, c) in enumerate(REGIONS)
            ])
            conn.execute(insert(NamingNote.__table__), [
                {"id": 1, "lang": "en", "text": NAMING_NOTE, "created_at": now - timedelta(days=4000)}
            ])
            conn.execute(insert(Place.__table__), [
                {"id": i + 1, "name": n, "alternate": a} for i, (n, a) in enumerate(PLACES)
            ])

        entry_id = story_id = 0
        written = 0
        day_counts: list[dict] = []
        day = newest_day
        day_number = 0
        series = "war-live"
        last_log = time.perf_counter()
        while written < n_entries:
            stories, entries, e_regions, s_regions = [], [], [], []
            # One chunk: days until about 20,000 entries are waiting.
            while written + len(entries) < n_entries and len(entries) < 20_000:
                per_day = rng.randint(100, 400)
                if day_number == 0:
                    # The newest day is the spike: the busiest live day, the one readers crowd.
                    per_day = max(per_day, BUSIEST_DAY)
                per_day = min(per_day, n_entries - written - len(entries))
                start = datetime.combine(day, dtime(0), tzinfo=tz).astimezone(timezone.utc)
                # The live blog of the day, and now and then an article.
                story_id += 1
                live_id = story_id
                live_region = rng.randrange(len(REGIONS)) + 1
                stories.append({
                    "id": live_id, "slug": f"live-{day.isoformat()}",
                    "title": f"Live updates: {day.day} {day:%B %Y}", "summary": _sentence(rng, 12),
                    "kind": "live", "language": "en", "access": "standard", "series": series,
                    "published_at": start + timedelta(hours=6), "updated_at": start + timedelta(hours=23),
                })
                s_regions.append({"story_id": live_id, "region_id": live_region})
                article_id = None
                if rng.random() < 0.3:
                    story_id += 1
                    article_id = story_id
                    stories.append({
                        "id": article_id, "slug": f"article-{article_id}", "title": _sentence(rng, 8).rstrip("."),
                        "summary": _sentence(rng, 14), "kind": "article", "language": rng.choice(["en", "en", "ru"]),
                        "access": rng.choice(["standard"] * 8 + ["public", "members"]), "series": None,
                        "published_at": start + timedelta(hours=12), "updated_at": start + timedelta(hours=12),
                    })
                    s_regions.append({"story_id": article_id, "region_id": rng.randrange(len(REGIONS)) + 1})
                published_count = 0
                seconds = sorted(rng.randrange(0, 86_400) for _ in range(per_day))
                for i, offset in enumerate(seconds):
                    entry_id += 1
                    published = start + timedelta(seconds=offset, microseconds=rng.randrange(1_000_000))
                    withdrawn = rng.random() < 0.01
                    is_article = article_id is not None and i == per_day // 2
                    body = _body(rng)
                    entries.append({
                        "id": entry_id,
                        "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "story_id": article_id if is_article else live_id,
                        "headline": _sentence(rng, rng.randint(5, 10)).rstrip("."),
                        "body_html": body,
                        "body_text": plain_text(body),  # kept beside the HTML, as the service does on save
                        "published_at": published,
                        "updated_at": published + timedelta(minutes=rng.choice([0, 0, 0, 5, 30])),
                        "day": day,
                        "key_event": rng.random() < 0.05,
                        "syndicate": rng.random() < 0.9,
                        "embargo_until": None,
                        "status": "withdrawn" if withdrawn else "published",
                        "withdrawn_reason": "A source's safety is at risk." if withdrawn else None,
                        "withdrawn_note": "This update was taken down." if withdrawn else None,
                        "withdrawn_at": published + timedelta(hours=1) if withdrawn else None,
                        "source_id": None,
                    })
                    published_count += not withdrawn
                    if rng.random() < 0.3:
                        e_regions.append({"entry_id": entry_id, "region_id": rng.randrange(len(REGIONS)) + 1})
                day_counts.append({"day": day, "entries": published_count})
                day = day - timedelta(days=1)
                day_number += 1
            with engine.begin() as conn:
                if engine.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA synchronous=OFF")
                conn.execute(insert(Story.__table__), stories)
                conn.execute(insert(story_regions), s_regions)
                conn.execute(insert(Entry.__table__), entries)
                if e_regions:
                    conn.execute(insert(entry_regions), e_regions)
            written += len(entries)
            if time.perf_counter() - last_log > 15:
                last_log = time.perf_counter()
                log(f"  ... {written:,} / {n_entries:,} entries ({time.perf_counter() - started:.0f} s)")

        marker = (f"entries={n_entries};days={len(day_counts)};newest={newest_day.isoformat()};seed={SEED};"
                  f"busiest=live-{newest_day.isoformat()}")
        with engine.begin() as conn:
            # What the entry writers keep: each day's count of published entries ...
            conn.execute(insert(Day.__table__), day_counts)
            conn.execute(insert(Story.__table__), [{
                "id": story_id + 1, "slug": MARKER_SLUG, "title": "benchmark data set", "summary": marker,
                "kind": "article", "language": "en", "access": "members", "series": None,
                "published_at": now - timedelta(days=20_000), "updated_at": now - timedelta(days=20_000),
            }])
            # ... and the content version, raised in the same transaction as the change.
            conn.execute(update(SiteState.__table__).where(SiteState.__table__.c.id == 1)
                         .values(version=SiteState.__table__.c.version + 1, changed_at=datetime.now(timezone.utc)))
        # No ANALYZE on SQLite: a database written through the app never gets one, and the
        # query plans measured here should be the ones production runs. PostgreSQL's
        # autovacuum analyses a table this size by itself; do it now rather than mid-run.
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    return BuildInfo(written, len(day_counts), story_id, newest_day, time.perf_counter() - started)
