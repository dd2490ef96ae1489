"""The search page, `/search` in the site's default language and `/<lang>/search` in another."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _, ngettext

from .. import documents, i18n, languages, timeutil
from ..content import pages, translations
from ..content.state import snapshot
from ..content.views import HTML, _page_number
from ..members.auth import current_reader, is_personal
from . import bp, query
from .words import highlight

@bp.get("/search")
@bp.get("/<lang:lang>/search")
def search(lang: str | None = None):
    return _search(lang or languages.default())


def _search(language: str):
    i18n.use(language)
    raw = request.args.get("q", "")
    if len(raw) > query.MAX_QUERY:  # refused rather than cut: a cut query would answer another question
        abort(400, ngettext("Search for at most %(num)d character of words and numbers.",
                            "Search for at most %(num)d characters of words and numbers.", query.MAX_QUERY))
    q = query.normalise(raw)
    sort = request.args.get("sort", "newest")
    if sort not in query.SORTS:
        abort(400, _("Results are sorted newest first (sort=newest) or best first (sort=best)."))
    page = _page_number()
    if page > query.MAX_PAGES:
        abort(404, ngettext("Search shows up to %(num)d page of results; try more precise words.",
                            "Search shows up to %(num)d pages of results; try more precise words.",
                            query.MAX_PAGES))
    now = timeutil.now()
    reader = current_reader()
    snap = snapshot()
    # One render per content version, kind of reader, query and the latest embargo to have ended.
    key = ("page", "search", language, q, sort, page, query.embargo_mark(now) if q else None,
           reader.is_member, timeutil.today())
    rendered = documents.cache().get(snap.version, key,
                                     lambda: documents.prepare(_render(language, q, sort, page, now)))
    return documents.serve(rendered, HTML, personal=is_personal(reader), changed_at=snap.changed_at)


def _render(language: str, q: str, sort: str, page: int, now) -> str:
    reader = current_reader()
    results, snippets, more = [], {}, False
    if q:
        found = query.find(q, language, sort, page, now)
        if page > 1 and not found.ids:
            abort(404, _("There are fewer pages of results."))
        results = pages.entry_views(query.load(found.ids), reader, snapshot())
        # Only what the reader may read is ever quoted; members-only matches show their headline alone.
        snippets = query.snippets([v.entry for v in results if v.readable], q, language)
        more = found.more
    return render_template("search/search.html", q=q, sort=sort, page=page, results=results, snippets=snippets,
                           more=more, language=language, endpoint=request.endpoint,
                           endpoint_args=dict(request.view_args or {}), headline=_headline(q, language),
                           hide_banner=any(not v.readable for v in results), page_lang=language,
                           alternates=[] if q else translations.everywhere("search.search"))


def _headline(q: str, language: str):
    """Marks the query's words in a headline (a headline is public, whoever reads)."""
    return lambda text: highlight(text, q, language, around=0)
