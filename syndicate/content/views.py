"""Reader-facing pages: each rendered once per content version and kind of reader, then reused."""
from __future__ import annotations

from typing import Callable

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import documents, i18n, languages, timeutil
from ..numbers import ascii_int
from ..access import entry_is_free
from ..desk.auth import signed_in as desk_signed_in
from ..members.auth import current_reader, is_personal, signed_in_member_id
from ..members.tokens import make_feed_token
from . import pulse
from ..urls import absolute
from . import bp, cards, pages, queries, translations
from .state import snapshot

HTML = "text/html; charset=utf-8"


def _cached_page(key: tuple, render: Callable[[], str]):
    """Serve a page from this worker's document cache, rendering it on the first request after a change.

    Pages differ only by the kind of reader (a member or not, an editor signed in at the desk
    or not), never by who: no page carries a CSRF token or anything else of one person's, so one
    render serves every reader of a kind. A signed-in editor's header leads to the desk, so
    their pages are private like a member's.
    """
    reader = current_reader()
    editor = desk_signed_in()
    snap = snapshot()
    full_key = ("page", *key, reader.is_member, editor, timeutil.today())
    rendered = documents.cache().get(snap.version, full_key, lambda: documents.prepare(render()))
    return documents.serve(rendered, HTML, personal=editor or is_personal(reader), changed_at=snap.changed_at)


def _page_number(language: Callable[[], str] | None = None) -> int:
    """?page=N, or a 404; `language` names the page's language for that 404 where the address does not."""
    value = request.args.get("page")
    if value is None:
        return 1
    number = ascii_int(value, minimum=1, maximum=999_999)
    if number is None:
        if language is not None:
            i18n.use(language())
        abort(404, _("Pages are numbered 1, 2, 3 and so on."))
    return number


@bp.get("/", defaults={"lang": None})
@bp.get("/<lang:lang>/")
def home(lang: str | None):
    lang = lang or languages.default()
    return _cached_page(("home", lang), lambda: _render_home(lang))


def _render_home(lang: str) -> str:
    i18n.use(lang)
    snap = snapshot()
    reader = current_reader()
    live = queries.latest_live(lang)
    size = current_app.config["PAGE_SIZE"]
    views = pages.entry_views(queries.story_page_entries(live, limit=size + 1), reader, snap) if live else []
    return render_template(
        "content/home.html",
        live=live,
        entries=views[:size],
        more=len(views) > size,
        key_events=pages.entry_views(queries.key_events(live), reader, snap) if live else [],
        last_updated=queries.last_updated(live) if live else None,
        note=pages.story_note(live, views, snap) if live else None,
        card=cards.for_home(live),
        poll_seconds=current_app.config["POLL_SECONDS"],
        stories=[s for s in queries.latest_stories(12, lang) if not live or s.id != live.id],
        page_lang=lang,
        alternates=translations.everywhere("content.home"),
    )


@bp.get("/stories/<slug>")
def story(slug: str):
    page = _page_number(lambda: languages.of_story(queries.get_story(slug)))
    # The update a permalink led here for (?update=UID): the page's preview card describes it.
    uid = request.args.get("update")
    return _cached_page(("story", slug, page, uid), lambda: _render_story(slug, page, uid))


def _render_story(slug: str, page: int, uid: str | None = None) -> str:
    snap = snapshot()
    reader = current_reader()
    item = queries.get_story(slug)
    i18n.use(languages.of_story(item))  # the page, and any error it ends in, in its story's language
    shared = None
    if uid is not None:
        shared = queries.listed_entry(item, uid)
        if shared is None:
            abort(404, _("No update of this story has that address."))
    size = current_app.config["PAGE_SIZE"]
    total = queries.story_page_count(item)
    pages_count = max(1, -(-total // size))
    if page > pages_count:
        abort(404, _("This story has fewer pages."))
    views = pages.entry_views(queries.story_page_entries(item, offset=(page - 1) * size, limit=size), reader, snap)
    key_events = pages.entry_views(queries.key_events(item), reader, snap) if item.kind == "live" else []
    url = absolute("content.story", slug=item.slug, page=page if page > 1 else None)
    series, series_total = queries.series_days(item)
    return render_template(
        "content/story.html",
        story=item,
        card=cards.for_update(shared, snap) if shared else cards.for_story(item, [v.entry for v in views], snap),
        current_day=pages.current_day(item, series),
        poll_seconds=current_app.config["POLL_SECONDS"],
        entries=views,
        key_events=key_events,
        last_updated=queries.last_updated(item),
        page=page,
        pages_count=pages_count,
        note=pages.story_note(item, views + key_events, snap),
        series=series,
        series_total=series_total,
        stories=[s for s in queries.latest_stories(6, languages.of_story(item)) if s.id != item.id],
        page_lang=languages.of_story(item),
        alternates=translations.of_story(item, page),
        json_ld=pages.json_ld(item, views, url, current_app.config["SITE_NAME"]),
        **pages.gating(views),
    )


@bp.get("/stories/<slug>/updates/<uid>")
def update(slug: str, uid: str):
    """An update's permanent address: the page of its story that holds it, at its anchor."""
    item = queries.get_story(slug)
    entry = queries.listed_entry(item, uid)
    if entry is None:
        i18n.use(languages.of_story(item))
        abort(404, _("No update of this story has that address."))
    page = queries.newer_than(item, entry) // current_app.config["PAGE_SIZE"] + 1
    # The update named in the query gives the page a preview card of its own, for links shared from here.
    target = url_for("content.story", slug=item.slug, page=page if page > 1 else None, update=entry.uid,
                     _anchor=f"entry-{entry.uid}")
    response = redirect(target, code=302)
    # The update's translations (or its story's), for crawlers that follow permalinks.
    link = translations.link_header(translations.of_entry(entry))
    if link:
        response.headers["Link"] = link
    # Which page holds an update moves as the day goes on: a shared cache may keep this only briefly.
    response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={current_app.config['SHARED_CACHE_SECONDS']}"
    return response


@bp.get("/archive/", defaults={"lang": None})
@bp.get("/<lang:lang>/archive/")
def archive(lang: str | None):
    lang = lang or languages.default()
    return _cached_page(("archive", lang), lambda: _render_archive(lang))


def _render_archive(lang: str) -> str:
    i18n.use(lang)
    snap = snapshot()
    days = list(queries.days_in(lang, snap))
    return render_template("content/archive.html", days=days, stories=queries.stories_by_day(days, lang),
                           public_days=snap.public_days, label=pages.day_label, is_free=entry_is_free,
                           page_lang=lang, alternates=translations.everywhere("content.archive"))


@bp.get("/archive/<day>", defaults={"lang": None})
@bp.get("/<lang:lang>/archive/<day>")
def day(day: str, lang: str | None):
    lang = lang or languages.default()
    i18n.use(lang)
    which = timeutil.parse_day(day)
    # Known before rendering, so a missing day costs one lookup and is never kept.
    if which is None:
        abort(404, _("Archive days are written YYYY-MM-DD."))
    if which not in snapshot().day_set:
        abort(404, _("There is no coverage on that day."))
    return _cached_page(("day", which, lang), lambda: _render_day(which, lang))


def _render_day(which, lang: str):
    snap = snapshot()
    entries = queries.day_page_entries(which, lang)
    if not entries:
        abort(404, _("There is no coverage on that day."))
    views = pages.entry_views(entries, current_reader(), snap)
    older, newer = translations.neighbours(queries.days_in(lang, snap), which)
    return render_template("content/day.html", day=which, label=pages.day_label, entries=views, older=older,
                           card=cards.for_day(which, pages.day_label(which)),
                           newer=newer, note=pages.day_note(views), page_lang=lang,
                           lang_values=languages.prefix_values(lang),
                           alternates=translations.of_day(which), **pages.gating(views))


@bp.get("/feeds", defaults={"lang": None})
@bp.get("/<lang:lang>/feeds")
def feeds(lang: str | None):
    """Feeds explained for people, with every feed's address; a signed-in member's carry their token.

    Each language has its page (/ru/feeds), in its words and listing its own feeds (/ru/feeds/latest.atom).
    """
    lang = lang or languages.default()
    i18n.use(lang)
    story_slug = request.args.get("story")
    if story_slug is not None and not queries.storable(story_slug):
        abort(404, _("No story has that address."))
    member_id = signed_in_member_id()
    if member_id is not None:
        # Personal (their token is in every address): rendered for this request only.
        token = make_feed_token(member_id, pulse.read(member_id).member.token_version)
        html = _render_feeds(lang, story_slug, token)
        return documents.serve(documents.prepare(html), HTML, personal=True, changed_at=snapshot().changed_at)
    # The address's language is not in the query string: it must be in the key.
    return _cached_page(("feeds", lang, story_slug), lambda: _render_feeds(lang, story_slug, None))


def _render_feeds(lang: str, story_slug: str | None, token: str | None) -> str:
    story = queries.get_story(story_slug) if story_slug else None
    return render_template("content/feeds.html", story=story, regions=queries.all_regions(), token=token,
                           formats=FEED_FORMATS, feed_readers=FEED_READERS, page_lang=lang,
                           where=languages.prefix_values(lang),
                           alternates=[] if story else translations.everywhere("content.feeds"))


FEED_FORMATS = (("rss", "RSS 2.0"), ("atom", "Atom"), ("json", "JSON Feed"))
# Names, the same in every language: the page's sentence about feed readers puts them in its own words.
FEED_READERS = "NetNewsWire, Feedly, Inoreader, Miniflux, Thunderbird"
