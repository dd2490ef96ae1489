"""The demo newsroom: a few days of a live blog, written for this project, loaded once."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from . import timeutil
from .editorial import service
from .extensions import db
from .models import Story

NOTE = (
    "Note on naming: we do not use qualifiers such as \"de facto\" or \"unrecognised\" for institutions "
    "in the disputed regions we cover, including Abkhazia, Nagorno-Karabakh and South Ossetia; this implies "
    "no position on their status. Places with two names are written with both, the second in brackets, "
    "e.g. Shusha (Shushi)."
)

REGIONS = [
    ("nagorno-karabakh", "Nagorno-Karabakh", True),
    ("abkhazia", "Abkhazia", True),
    ("south-ossetia", "South Ossetia", True),
    ("georgia", "Georgia", False),
    ("armenia", "Armenia", False),
    ("azerbaijan", "Azerbaijan", False),
]

PLACES = [("Shusha", "Shushi"), ("Lachin", "Berdzor"), ("Stepanakert", "Khankandi"), ("Martuni", "Khojavend")]

# (local hour:minute, headline, body, key event)
DAYS = [
    [
        ("08:10", "Overnight shelling reported near Martuni (Khojavend)",
         "Residents described a night spent in basements as artillery fire was heard from the south-east. "
         "Local officials said two houses were damaged; no casualties have been confirmed.", False),
        ("11:45", "Road through Lachin (Berdzor) reopens for aid convoys",
         "A convoy of eleven lorries carrying flour, medicine and fuel crossed the corridor this morning, "
         "the first in four days. Drivers told our reporter the checkpoints were slow but orderly.", True),
        ("16:20", "Schools in Stepanakert (Khankandi) move lessons online",
         "The education department said classes will continue remotely until further notice. Teachers are "
         "collecting laptops donated by families abroad.", False),
    ],
    [
        ("09:00", "Power restored in most of Stepanakert (Khankandi)",
         "Engineers worked through the night to repair a damaged substation. Several districts in the east "
         "of the city remain without electricity.", False),
        ("13:30", "Foreign ministers agree to meet next week",
         "The ministers of both countries will meet under international mediation, officials said. No agenda "
         "has been published.", True),
        ("18:30", "Families queue for news at the hospital in Shusha (Shushi)",
         "Relatives of the wounded waited outside the regional hospital into the evening. Staff posted lists "
         "of admitted patients on the door every hour.", False),
    ],
    [
        ("07:40", "Curfew extended for another week",
         "The curfew will now run from 21:00 to 06:00. Exceptions remain for medical staff and journalists "
         "with press cards.", False),
        ("12:15", "Volunteers set up a field kitchen in Martuni (Khojavend)",
         "A group of students from Yerevan and local volunteers served more than 400 hot meals on the first "
         "day.", False),
        ("15:05", "Location of a shelter used by displaced families",
         "This update named the address of a shelter.", False),
        ("20:45", "Evening summary",
         "Shelling was reported in three districts; the road corridor stayed open; talks are expected next "
         "week. We will resume live coverage at 08:00.", True),
    ],
    [
        ("10:20", "Red Cross visits detainees",
         "The International Committee of the Red Cross said its delegates visited people held by both sides "
         "and delivered messages to their families.", True),
        ("17:50", "Markets reopen in Stepanakert (Khankandi)",
         "Stalls selling vegetables, bread and cheese reopened for a few hours in the afternoon, with long "
         "queues but calm.", False),
    ],
]


def _local(day, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=timeutil.tz())


def load_demo() -> bool:
    """Load the demo newsroom; returns False (and adds nothing) when it is already there."""
    if db.session.scalar(select(Story.id).where(Story.series == "war-live")) is not None:
        return False
    service.set_naming_note(NOTE, "en")
    for slug, name, covered in REGIONS:
        service.upsert_region(slug, name, covered)
    for name, alternate in PLACES:
        service.add_place(name, alternate)

    now = timeutil.now()
    today = timeutil.local_day(now)
    # Days of coverage end today; one quiet day in between shows the public window counts coverage, not dates.
    days = [today - timedelta(days=d) for d in (5, 4, 2, 1)]
    first_war_day = today - timedelta(days=43)
    for day, updates in zip(days, DAYS):
        number = (day - first_war_day).days
        story = service.create_story(
            title=f"Live updates: Day {number} of the war in Nagorno-Karabakh",
            slug=f"live-{day.isoformat()}", summary="Shelling, aid convoys and diplomacy: the day as it unfolded, "
            "from our reporters in the region.", kind="live", language="en", access="standard",
            regions=["nagorno-karabakh"], series="war-live", published_at=_local(day, "07:00"),
        )
        for hhmm, headline, body, key in updates:
            at = min(_local(day, hhmm), now - timedelta(minutes=5))
            entry, _ = service.add_entry(story, service.EntryFields(
                headline=headline, body_html=service.body_from(None, body), published_at=at, key_event=key))
            if headline.startswith("Location of a shelter"):
                service.withdraw_entry(entry, "Named a shelter's address; risk to the families there.",
                                       "This update was removed to protect the safety of people it mentioned.")

    today_story = service.create_story(
        title=f"Live updates: Day {(today - first_war_day).days} of the war in Nagorno-Karabakh",
        slug=f"live-{today.isoformat()}", summary="Follow the day's developments as they happen.",
        kind="live", language="en", access="standard", regions=["nagorno-karabakh"], series="war-live",
        published_at=min(_local(today, "07:00"), now - timedelta(hours=1)),
    )
    for minutes, headline, body, key in [
        (180, "Morning: calm in the capital after a quiet night",
         "For the first night in a week no sirens were heard in Stepanakert (Khankandi).", False),
        (90, "Aid agencies ask for safe passage for medical teams",
         "Three agencies issued a joint appeal for guaranteed passage through Lachin (Berdzor).", True),
        (20, "Ceasefire monitors arrive", "A team of twelve monitors arrived this afternoon.", False),
    ]:
        service.add_entry(today_story, service.EntryFields(
            headline=headline, body_html=service.body_from(None, body), published_at=now - timedelta(minutes=minutes),
            key_event=key))

    article = service.create_story(
        title="Tbilisi's new metro line opens after a decade of delays", slug="tbilisi-metro-opens",
        summary="A city service story from outside the conflict zone.", kind="article", language="en",
        access="public", regions=["georgia"], series=None, published_at=now - timedelta(days=3),
    )
    service.add_entry(article, service.EntryFields(
        headline="Tbilisi's new metro line opens after a decade of delays",
        body_html=service.body_from(None, "The four-station extension was first promised in 2014.\n\n"
                                    "Commuters from the western districts say it will save them an hour a day."),
        published_at=now - timedelta(days=3)))

    analysis = service.create_story(
        title="Analysis: what the corridor means for the winter", slug="analysis-corridor-winter",
        summary="Our correspondent on fuel, flour and the months ahead.", kind="article", language="en",
        access="members", regions=["nagorno-karabakh", "armenia"], series=None, published_at=now - timedelta(days=1),
    )
    service.add_entry(analysis, service.EntryFields(
        headline="Analysis: what the corridor means for the winter",
        body_html=service.body_from(None, "Every lorry that crosses Lachin (Berdzor) is counted twice: once by "
                                    "the officials at the checkpoint, once by the families waiting for it.\n\n"
                                    "Stocks of fuel will last into December at the current rate of deliveries."),
        published_at=now - timedelta(days=1, hours=2)))
    return True
