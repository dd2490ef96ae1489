"""The demo newsroom: a week of a live blog, two articles, tiers and a sample member, loaded once.

Everything is placed relative to "now" in the newsroom's time zone, and every
stamp a reader sees agrees with the copy beside it: an update that says "this
afternoon" is stamped in the afternoon, nothing is in the future, and old
entries keep the time they were written (or a plausible later correction).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from . import demo_ru, languages, timeutil
from .content import state
from .editorial import service
from .editorial.auth import add_editor
from .extensions import db
from .members import mail, service as members
from .members.signin import feed_urls
from .models import Editor, Entry, Member, Story
from .urls import absolute
from .writes import content_write, end_read

SERIES = "war-live"
SAMPLE_MEMBER = "member@demo.example"
DEMO_EDITOR = "demo desk"
DEMO_EDITOR_EMAIL = "editor@demo.example"

NOTE = (
    "Note on naming: we do not use qualifiers such as \"de facto\" or \"unrecognised\" for institutions "
    "in the disputed regions we cover, including Abkhazia, Nagorno-Karabakh and South Ossetia; this implies "
    "no position on their status. Places with two names are written with both, the second in brackets, "
    "e.g. Shusha (Shushi)."
)

REGIONS = [
    ("nagorno-karabakh", "Nagorno-Karabakh", True, {"ru": "Нагорный Карабах"}),
    ("abkhazia", "Abkhazia", True, {"ru": "Абхазия"}),
    ("south-ossetia", "South Ossetia", True, {"ru": "Южная Осетия"}),
    ("georgia", "Georgia", False, {"ru": "Грузия"}),
    ("armenia", "Armenia", False, {"ru": "Армения"}),
    ("azerbaijan", "Azerbaijan", False, {"ru": "Азербайджан"}),
]

PLACES = [("Shusha", "Shushi"), ("Lachin", "Berdzor"), ("Stepanakert", "Khankandi"), ("Martuni", "Khojavend")]

# Made-up Stripe prices: /join can list the tiers while saying payments are not configured.
TIERS = [
    ("Supporter", "price_demo_monthly", 500, "eur", "month", {"ru": "Сторонник"}),
    ("Sustainer", "price_demo_yearly", 5000, "eur", "year", {"ru": "Меценат"}),
]


@dataclass(frozen=True)
class Update:
    """One update of the live blog, at a local time of its day."""

    at: str
    headline: str
    body: str
    key: bool = False
    # (minutes after publication, internal reason, public note)
    withdrawn: tuple[int, str, str] | None = None
    # (minutes after publication, correction text)
    correction: tuple[int, str] | None = None
    picture: str | None = None  # one of PICTURES: the update's lead image
    byline: str | None = None  # a sample name only: the demo never names a real person


# The days before the newest one, oldest first. Their copy only speaks of hours already past.
EARLIER_DAYS = [
    [
        Update("08:10", "Overnight shelling reported near Martuni (Khojavend)",
               "Residents described a night spent in basements as artillery fire was heard from the south-east. "
               "Local officials said two houses were damaged; no casualties have been confirmed."),
        Update("11:45", "Road through Lachin (Berdzor) reopens for aid convoys",
               "A convoy of eleven lorries carrying flour, medicine and fuel crossed the corridor this morning, "
               "the first in four days. Drivers told our reporter the checkpoints were slow but orderly.", key=True),
        Update("16:20", "Schools in Stepanakert (Khankandi) move lessons online",
               "The education department said classes will continue remotely until further notice. Teachers are "
               "collecting laptops donated by families abroad."),
    ],
    [
        Update("09:00", "Power restored in most of Stepanakert (Khankandi)",
               "Engineers worked through the night to repair a damaged substation. Several districts in the east "
               "of the city remain without electricity."),
        Update("13:30", "Foreign ministers agree to meet next week",
               "The ministers of both countries will meet under international mediation, officials said. No agenda "
               "has been published.", key=True),
        Update("18:30", "Families queue for news at the hospital in Shusha (Shushi)",
               "Relatives of the wounded waited outside the regional hospital into the evening. Staff posted lists "
               "of admitted patients on the door every hour."),
    ],
    [
        Update("07:40", "Curfew extended for another week",
               "The curfew will now run from 21:00 to 06:00. Exceptions remain for medical staff and journalists "
               "with press cards."),
        Update("12:15", "Volunteers set up a field kitchen in Martuni (Khojavend)",
               "A group of students from Yerevan and local volunteers served more than 400 hot meals on the first "
               "day.", correction=(70, "An earlier version of this update put the number of meals at 200.")),
        Update("15:05", "Location of a shelter used by displaced families",
               "This update named the address of a shelter.",
               withdrawn=(35, "Named a shelter's address; risk to the families there.",
                          "This update was removed to protect the safety of people it mentioned.")),
        Update("20:45", "Evening summary",
               "Shelling was reported in three districts; the road corridor stayed open; talks are expected next "
               "week. We will resume live coverage in the morning.", key=True),
    ],
    [
        Update("08:20", "Queues at petrol stations as fuel is rationed",
               "Drivers waited from first light at the two stations still open in Stepanakert (Khankandi). Each car "
               "may now fill up with twenty litres a week."),
        Update("10:20", "Red Cross visits detainees",
               "The International Committee of the Red Cross said its delegates visited people held by both sides "
               "and delivered messages to their families.", key=True),
        Update("17:50", "Markets reopen in Stepanakert (Khankandi)",
               "Stalls selling vegetables, bread and cheese reopened for a few hours in the afternoon, with long "
               "queues but calm."),
    ],
    [
        Update("08:45", "Shelling heard near Shusha (Shushi) before dawn",
               "Residents said the firing stopped shortly after five. The regional administration has not yet "
               "reported any damage."),
        Update("12:30", "Mediators name the venue for next week's talks",
               "The talks will be held in a neutral capital, the mediators said in a short statement. Both "
               "delegations have confirmed they will attend.", key=True),
        Update("15:10", "Generator installed at the hospital in Stepanakert (Khankandi)",
               "A diesel generator paid for by a diaspora fund was installed this afternoon, so operations no "
               "longer stop when the power fails."),
        Update("21:05", "Evening summary: a day of waiting",
               "A quiet day on the line of contact as both sides prepare for the talks. We will resume live "
               "coverage in the morning."),
    ],
]

# The newest day: shown up to the last update whose time has passed. Before the first one,
# the newest day is yesterday, shown in full.
NEWEST_DAY = [
    Update("07:30", "Morning: a quiet night in Stepanakert (Khankandi)",
           "For the first night in a week no sirens were heard. Residents told our reporter they slept above "
           "ground for the first time in days.", picture="dawn", byline="Staff reporter"),
    Update("09:15", "Aid agencies ask for safe passage for medical teams",
           "Three agencies issued a joint appeal this morning for guaranteed passage through Lachin (Berdzor).",
           key=True),
    Update("11:40", "Bakeries in Martuni (Khojavend) open before dawn",
           "With flour arriving again, bakers started work at three to have bread on the shelves by the time the "
           "curfew lifted."),
    Update("13:50", "Ceasefire monitors arrive",
           "A team of twelve monitors arrived early this afternoon and met local officials in Stepanakert "
           "(Khankandi)."),
    Update("16:35", "Fourteen lorries cross the corridor",
           "The largest convoy this month crossed Lachin (Berdzor) with fuel and medicine. Drivers expect to "
           "return before the curfew.", key=True, picture="convoy"),
    Update("19:10", "Evening: monitors visit the line of contact",
           "The monitors spent the late afternoon near Martuni (Khojavend) and are due to report to the "
           "mediators before the talks."),
    Update("21:40", "Evening summary: a calm day and a convoy",
           "No shelling was reported today; a convoy crossed the corridor and the monitors began their work. "
           "We will resume live coverage in the morning."),
]

FIRST_DAY_NUMBER = 39
# The newest update is at least this old, so nothing the demo shows is stamped in the future.
MARGIN = timedelta(minutes=5)


@dataclass
class Loaded:
    """What `syndicate demo` tells a newcomer after loading."""

    created: bool
    member: Member | None
    editor_token: str | None = None
    editor_email: str | None = None  # the demo editor's, to sign in to /desk with


def load_demo(now: datetime | None = None) -> Loaded:
    """Load the demo newsroom as of `now` (default: the clock); adds nothing when it is already there."""
    now = now or timeutil.now()
    if db.session.scalar(select(Story.id).where(Story.series == SERIES)) is not None:
        return Loaded(created=False, member=members.find(SAMPLE_MEMBER), editor_email=_demo_editor_email())
    note = service.set_naming_note(NOTE, "en")
    for slug, name, covered, names in REGIONS:
        service.upsert_region(slug, name, covered, names)
    for name, alternate in PLACES:
        service.add_place(name, alternate)
    for name, price_id, amount, currency, interval, names in TIERS:
        members.upsert_tier(name, price_id, amount, currency, interval, names)

    newest, newest_updates = newest_day(now)
    days = [newest - timedelta(days=n) for n in range(len(EARLIER_DAYS), 0, -1)] + [newest]
    stamps: list[tuple[Entry, datetime]] = []
    russian = "ru" in languages.configured()
    if russian:
        ru_note = service.set_naming_note(demo_ru.NOTE, "ru")
    for number, (day, updates) in enumerate(zip(days, [*EARLIER_DAYS, newest_updates]), FIRST_DAY_NUMBER):
        day_stamps = _live_day(day, number, updates, now)
        stamps += day_stamps
        if russian and number >= FIRST_DAY_NUMBER + len(days) - 2:  # the two newest days: free to read
            stamps += _translated_day(day, number, day_stamps, now)
    articles = _articles(days, now)
    stamps += articles
    if russian:
        stamps += _translated_articles(articles)

    with content_write():
        note.created_at = _local(days[0], "06:00")
        if russian:
            ru_note.created_at = note.created_at
        for entry, updated in stamps:
            # The services stamp changes with the clock; the demo's changes happened when its copy says.
            entry.updated_at = updated
            if entry.status == "withdrawn":
                entry.withdrawn_at = updated
            if entry.corrections:
                entry.corrections[-1].created_at = updated
        for story in {entry.story for entry, _ in stamps}:
            story.updated_at = max(updated for entry, updated in stamps if entry.story is story)
        state.bump()

    member = members.comp(SAMPLE_MEMBER, None)
    has_editor = db.session.scalar(select(Editor.id).where(Editor.name == DEMO_EDITOR)) is not None
    token = None if has_editor else add_editor(DEMO_EDITOR, DEMO_EDITOR_EMAIL)
    return Loaded(created=True, member=member, editor_token=token, editor_email=_demo_editor_email())


def _demo_editor_email() -> str | None:
    email = db.session.scalar(select(Editor.email).where(Editor.name == DEMO_EDITOR, Editor.revoked_at.is_(None)))
    end_read()
    return email


def newest_day(now: datetime) -> tuple[date, list[Update]]:
    """The last day of the series and its updates: today's that have happened, or all of yesterday's."""
    today = timeutil.local_day(now)
    happened = [u for u in NEWEST_DAY if _local(today, u.at) <= now - MARGIN]
    if happened:
        return today, happened
    return today - timedelta(days=1), NEWEST_DAY


def _local(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=timeutil.tz())


def _live_day(day: date, number: int, updates: list[Update], now: datetime) -> list[tuple[Entry, datetime]]:
    """One day of the live blog, its own story in the series; returns each entry with its last change."""
    story = service.create_story(
        title=f"Live updates: Day {number} of the war in Nagorno-Karabakh", slug=f"live-{day.isoformat()}",
        summary="Shelling, aid convoys and diplomacy: the day as it unfolded, from our reporters in the region.",
        kind="live", language="en", access="standard", regions=["nagorno-karabakh"], series=SERIES,
        # The page opens with its first update, so "Published" never stands above an earlier one.
        published_at=_local(day, updates[0].at),
    )
    stamps = []
    for update in updates:
        published = _local(day, update.at)
        entry, _ = service.add_entry(story, service.EntryFields(
            headline=update.headline, body_html=service.body_from(None, update.body), published_at=published,
            key_event=update.key, image=demo_picture(update.picture) if update.picture else None,
            byline=update.byline))
        later = 0
        if update.correction:
            later, text = update.correction
            service.edit_entry(entry, service.EntryFields(), correction=text)
        if update.withdrawn:
            later, reason, public_note = update.withdrawn
            service.withdraw_entry(entry, reason, public_note)
        stamps.append((entry, min(published + timedelta(minutes=later), now)))
    return stamps


def _translated_day(day: date, number: int, stamps: list[tuple[Entry, datetime]],
                    now: datetime) -> list[tuple[Entry, datetime]]:
    """A live day's Russian translation: its own story in its own series, each update naming its original."""
    original = stamps[0][0].story
    story = service.create_story(
        title=demo_ru.live_title(number), slug=f"{original.slug}-ru", summary=demo_ru.SUMMARY, kind="live",
        language="ru", access=original.access, regions=[r.slug for r in original.regions], series=SERIES + "-ru",
        published_at=original.published_at, translation_of=original)
    out = []
    for entry, updated in stamps:
        if entry.status != "published" or entry.headline not in demo_ru.UPDATES:
            continue
        headline, body = demo_ru.UPDATES[entry.headline]
        translated, _ = service.add_entry(story, service.EntryFields(
            headline=headline, body_html=service.body_from(None, body), published_at=entry.published_at,
            key_event=entry.key_event, translation_of=entry))
        # Translated a few minutes after the original, never later than now.
        out.append((translated, min(updated + timedelta(minutes=10), now)))
    return out


def _translated_articles(stamps: list[tuple[Entry, datetime]]) -> list[tuple[Entry, datetime]]:
    out = []
    for entry, updated in stamps:
        if entry.story.slug not in demo_ru.ARTICLES:
            continue
        slug, title, summary, body = demo_ru.ARTICLES[entry.story.slug]
        original = entry.story
        story = service.create_story(
            title=title, slug=slug, summary=summary, kind="article", language="ru", access=original.access,
            regions=[r.slug for r in original.regions], series=None, published_at=original.published_at,
            translation_of=original)
        translated, _ = service.add_entry(story, service.EntryFields(
            headline=title, body_html=service.body_from(None, body), published_at=entry.published_at,
            translation_of=entry))
        out.append((translated, updated))
    return out


def _articles(days: list[date], now: datetime) -> list[tuple[Entry, datetime]]:
    """A free article from outside the conflict zone and a members-only analysis."""
    stamps = []
    for day, hhmm, slug, access, regions, title, summary, body in [
        (days[-4], "10:30", "tbilisi-metro-opens", "public", ["georgia"],
         "Tbilisi's new metro line opens after a decade of delays",
         "A city service story from outside the conflict zone.",
         "The four-station extension was first promised in 2014.\n\n"
         "Commuters from the western districts say it will save them an hour a day."),
        (days[-2], "19:40", "analysis-corridor-winter", "members", ["nagorno-karabakh", "armenia"],
         "Analysis: what the corridor means for the winter",
         "Our correspondent on fuel, flour and the months ahead.",
         "Every lorry that crosses Lachin (Berdzor) is counted twice: once by the officials at the checkpoint, "
         "once by the families waiting for it.\n\n"
         "At the current rate of deliveries, stocks of fuel will last about six weeks."),
    ]:
        published = _local(day, hhmm)
        story = service.create_story(
            title=title, slug=slug, summary=summary, kind="article", language="en", access=access,
            regions=regions, series=None, published_at=published)
        entry, _ = service.add_entry(story, service.EntryFields(
            headline=title, body_html=service.body_from(None, body), published_at=published))
        stamps.append((entry, min(published, now)))
    return stamps


# Drawn here, not photographed: (alt text, caption, sky colours, whether lorries are on the road).
PICTURES = {
    "dawn": ("Illustration: hills and a road under a pale dawn sky", "Dawn over the hills (demo illustration)",
             ((250, 205, 160), (120, 150, 190)), False),
    "convoy": ("Illustration: a line of lorries on a mountain road", "A convoy on the road (demo illustration)",
               ((170, 200, 230), (90, 130, 180)), True),
}


def demo_picture(name: str) -> str:
    """A small drawn picture, through the same cleaning as any upload; returns its public id."""
    import io

    from PIL import Image, ImageDraw

    from .media import process, store

    alt, caption, (top, bottom), lorries = PICTURES[name]
    width, height = 1600, 900
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):  # the sky, from one colour to the other
        k = y / height
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * k) for a, b in zip(top, bottom)))
    draw.polygon([(0, 620), (350, 420), (700, 560), (1050, 380), (1600, 600), (1600, 900), (0, 900)],
                 fill=(70, 100, 70))
    draw.polygon([(0, 760), (500, 640), (1600, 700), (1600, 900), (0, 900)], fill=(50, 80, 55))
    draw.polygon([(700, 900), (820, 640), (880, 640), (1100, 900)], fill=(95, 95, 95))
    if lorries:
        for n, (x, y) in enumerate([(805, 660), (780, 700), (750, 750), (710, 810)]):
            size = 30 + 12 * n
            draw.rectangle([x, y, x + size * 2, y + size], fill=(200, 200, 190))
            draw.rectangle([x + size * 2, y + size // 3, x + size * 2 + size // 2, y + size], fill=(160, 40, 30))
    out = io.BytesIO()
    img.save(out, "PNG")
    renditions = process.process(out.getvalue(), current_app.config["MEDIA_MAX_PIXELS"])
    return store.save(renditions, alt=alt, caption=caption, credit="syndicate demo", editor_id=None).public_id


def welcome_lines(loaded: Loaded) -> list[str]:
    """What a newcomer needs on the console: where to read, join, sign in as a member, and publish."""
    config = current_app.config
    lines = [
        "Demo newsroom loaded." if loaded.created else "Demo newsroom already loaded; nothing added.",
        "",
        f"Read it:   {absolute('content.home')}",
        f"Join:      {absolute('members.join')}  (the demo's two tiers; payments are not configured, so nothing can be bought)",
        "",
    ]
    if loaded.member is None:
        lines.append(f"No sample member here: make one with `syndicate members comp {SAMPLE_MEMBER}`.")
    else:
        lines += [
            f"A sample member, {loaded.member.email} (complimentary membership):",
            f"  private feed:  {feed_urls(loaded.member)['atom']}",
            f"  sign in:       open {absolute('members.signin_form')} and give {loaded.member.email}",
        ]
    if config["MAIL_SERVER"]:
        lines.append(f"  the sign-in link is mailed through {config['MAIL_SERVER']}.")
    else:
        lines += [
            "  SYNDICATE_MAIL_SERVER is not set, so no mail is sent: the sign-in link is written as an .eml",
            f"  file to {mail.outbox_path()}",
            "  and, while the demo serves, printed here.",
        ]
    lines += ["", f"The desk, where editors write in a browser: {absolute('desk.home')}"]
    if loaded.editor_email:
        lines.append(f"  sign in:       open {absolute('desk.signin_form')} and give {loaded.editor_email}")
    lines.append("  more editors:  syndicate editors add NAME --email ADDRESS  (the address they sign in with)")
    lines.append("")
    if loaded.editor_token:
        lines += [f"An editor API token for {DEMO_EDITOR!r} (shown once; send it as 'Authorization: Bearer ...'):",
                  f"  {loaded.editor_token}"]
    else:
        lines.append("Editor API tokens are shown once: make one with `syndicate editors add \"your name\"`.")
    return lines
