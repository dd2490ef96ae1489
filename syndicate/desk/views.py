"""The desk's pages. Thin: read the form, call desk.work or desk.auth, render or redirect."""
from __future__ import annotations

import re

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from .. import i18n, languages, timeutil
from ..editorial import idempotency
from ..errors import APIError, error_body
from ..extensions import limiter
from ..media.api import FORM_ALLOWANCE
from ..numbers import ascii_int
from ..writes import end_read
from . import auth, bp, days, language, markup, translate, work
from .forms import Compose, read_compose, read_correction, read_withdrawal

# Reachable without a desk session: signing in, and the desk's own stylesheet and script.
OPEN = {"desk.signin_form", "desk.signin_submit", "desk.signin_link", "desk.signin_use", "desk.choose_language",
        "desk.static"}


# The compose form carries a picture: its two addresses take a body the size of one, once the editor is known.
UPLOADS = {"desk.publish", "desk.preview"}


@bp.url_value_preprocessor
def _editors_language(endpoint, values):
    """Every desk page in the editor's chosen language."""
    # A URL value preprocessor runs ahead of every before_request hook, the app's CSRF check
    # included, so what is refused that early (a stale form, a picture too large) speaks it too.
    language.apply()


@bp.url_value_preprocessor
def _room_for_a_picture(endpoint, values):
    """Raise the body limit for an editor's compose form, before CSRF's hook reads the form."""
    # This runs ahead of every before_request hook; a visitor without a desk session keeps the
    # app's 1 MiB limit, so only a signed-in editor can make the server read a large body.
    if endpoint not in UPLOADS or request.method != "POST" or auth.current_editor() is None:
        return
    limit = current_app.config["MEDIA_MAX_BYTES"]
    request.max_content_length = limit + FORM_ALLOWANCE
    try:
        request.form  # noqa: B018  (parsed here, so a body over the limit is refused with our reason)
    except RequestEntityTooLarge:
        abort(413, _("The picture is larger than %(mb)s MB. Nothing was published; go back to keep your "
                     "text and choose a smaller picture.", mb=format_decimal(limit / (1024 * 1024))))


@bp.before_request
def _editor_required():
    if request.endpoint in OPEN:
        return None
    editor = auth.current_editor()
    if editor is None:
        return redirect(url_for("desk.signin_form"), code=303)
    g.desk_editor = editor
    return None


@bp.after_request
def _private(response):
    # Desk pages are one editor's and change with every publish: never kept by a browser or a proxy.
    if request.endpoint != "desk.static":
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.context_processor
def _desk_context():
    # Blueprint processors run after the app's: page_lang (the <html lang>) is the editor's language here.
    zone = timeutil.zone_label(timeutil.now().astimezone(timeutil.tz()).utcoffset())
    return {"editor": g.get("desk_editor"), "image_view": work.image_view, "page_lang": i18n.current(),
            "desk_language_choices": language.switch_choices(), "desk_here": language.here(),
            "language_label": language.label, "language_links": _no_site_switcher, "newsroom_zone": zone}


def _no_site_switcher(page_lang, alternates) -> list:
    # The header's switcher leads to the public site in another language; on a desk page the desk's own
    # switcher is the one an editor needs, and two "English" links side by side would each mean another thing.
    return []


# ---------------------------------------------------------------- signing in


@bp.get("/signin")
def signin_form():
    return render_template("desk/signin.html")


@bp.post("/signin")
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"])
def signin_submit():
    # The mail is written in the language this page was in: the one the editor reads.
    auth.send_link(request.form.get("email", ""), i18n.current())
    return render_template("desk/signin_sent.html")


@bp.get("/signin/<token>")
def signin_link(token: str):
    # Mail scanners open every link: the GET shows a button and changes nothing.
    editor = auth.peek(token)
    return render_template("desk/signin_link.html", who=editor, token=token), 200 if editor else 400


@bp.post("/signin/<token>")
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"])
def signin_use(token: str):
    editor = auth.use(token)
    if editor is None:
        return render_template("desk/signin_link.html", who=None, token=token), 400
    auth.open_session(editor)
    return redirect(url_for("desk.home"), code=303)


@bp.post("/language")
def choose_language():
    """The switcher: remember the editor's language and show the same page again in it."""
    response = redirect(language.back_to(request.form.get("next", "")), code=303)
    chosen = request.form.get("lang", "")
    if chosen in languages.configured():
        language.remember(response, chosen)
    return response


@bp.post("/signout")
def signout():
    auth.close_session()
    return redirect(url_for("desk.signin_form"), code=303)


# ---------------------------------------------------------------- the live day


@bp.get("/")
def home():
    story = work.latest_live()
    if story is None:
        return render_template("desk/empty.html")
    return redirect(url_for("desk.story", slug=story.slug), code=303)


def _story_or_404(slug: str):
    story = work.story_by_slug(slug)
    if story is None:
        abort(404, _("No story has that address."))
    return story


def _story_page(story, compose: Compose, status: int = 200, *, preview=None, message: str | None = None,
                key: str | None = None, confirm: bool = False):
    end_read()  # nothing below writes; never render while holding a write lock
    published = request.args.get("published", "")
    series = days.recent(story)
    return render_template(
        "desk/story.html", story=story, compose=compose, regions=work.all_regions(), key=key or work.new_key(),
        entries=work.story_entries(story), preview=preview, message=message,
        published=published if re.fullmatch(r"[0-9a-f-]{36}", published) else None,
        next_day=days.propose(story), series=[(s, days.day_of(s)) for s in series],
        latest=series[0] if series else None,
        past_day=days.past_day(story), today=timeutil.today(), confirm=confirm,
        attached=work.image_view(compose.image), max_bytes=current_app.config["MEDIA_MAX_BYTES"],
        versions=translate.versions(story), missing=translate.missing_languages(story),
        to_translate=translate.to_translate(story),
        source_entry=translate.source_of(story, compose.translation_of),
    ), status


def _read_compose():
    """The compose form, its picture stored (or refused), and the status a refused picture calls for."""
    # The picture is stored whatever else is wrong with the form, so it is never asked for twice.
    compose = read_compose(request.form, {r.slug for r in work.all_regions()})
    if compose.image and work.image_view(compose.image) is None:
        compose.errors["image_file"] = _("The attached picture is no longer there. Choose it again.")
        compose.image = ""
    status = work.attach_upload(compose, request.files.get("image_file"), g.desk_editor.id)
    return compose, status


@bp.get("/stories/<slug>")
def story(slug: str):
    story = _story_or_404(slug)
    compose = work.blank_compose(story)
    # "Translate this update": the compose form names the original's update and shows it beside.
    source = translate.source_of(story, request.args.get("translate", ""))
    if source is not None:
        compose.translation_of = source.uid
    return _story_page(story, compose)


@bp.route("/stories/<slug>/translate/<lang>", methods=["GET", "POST"])
def translate_story(slug: str, lang: str):
    """Start this story's translation into another language, its original's title and standfirst beside."""
    story = _story_or_404(slug)
    source = translate.original(story)
    if lang not in translate.missing_languages(story):
        abort(404, _("This story has a version in that language already, or the site does not publish in it."))
    d = translate.draft(source, lang, request.form if request.method == "POST" else None)
    error = None
    if request.method == "POST":
        error = translate.problem(d)
        if error is None:
            try:
                body = translate.start(g.desk_editor, source, d, work.form_key(request.form),
                                       work.form_fingerprint("POST", request.path, request.form))
            except APIError as exc:
                if exc.code not in (409, 422):
                    raise
                error = translate.refusal(exc, d)
            else:
                flash(_("The translation is started. Translate its updates from the list on its page."))
                return redirect(body["location"], code=303)
    end_read()  # nothing below writes
    return render_template("desk/translate.html", source=source, draft=d, error=error, key=work.new_key()), 422 if error else 200


@bp.post("/entries/<ref>/confirm")
def confirm_translation(ref: str):
    """The editor read the corrected original: this translation still says the same."""
    entry = _entry_or_404(ref)
    translate.confirm(g.desk_editor, entry)
    flash(_("Translation confirmed: it no longer needs review."))
    return redirect(url_for("desk.story", slug=entry.story.slug) + f"#entry-{entry.uid}", code=303)


@bp.post("/stories/<slug>/preview")
def preview(slug: str):
    story = _story_or_404(slug)
    compose, refused = _read_compose()
    key = request.form.get("idempotency_key", "")
    key = key if idempotency.KEY.fullmatch(key) else None
    if refused:
        return _story_page(story, compose, refused, key=key)
    # A missing headline or body is no reason not to preview; markup the desk refuses is.
    if "body" in compose.errors and compose.body.strip():
        if request.accept_mimetypes.best == "application/json":
            return error_body(422, compose.errors["body"], fields={"body": compose.errors["body"]}), 422
        return _story_page(story, compose, 422, key=key)
    html, warnings = work.preview(compose)
    if request.accept_mimetypes.best == "application/json":
        return {"html": html, "warnings": warnings}
    return _story_page(story, compose, preview={"html": html, "warnings": warnings}, key=key)


@bp.post("/stories/<slug>/entries")
def publish(slug: str):
    story = _story_or_404(slug)
    key = work.form_key(request.form)
    compose, refused = _read_compose()
    if compose.errors:
        return _story_page(story, compose, refused or 422, key=key)
    if not request.form.get("confirmed_warnings"):
        # The first Publish of a text the gazetteer warns about asks once; the answer always publishes.
        html, warnings = work.preview(compose)
        if warnings:
            return _story_page(story, compose, preview={"html": html, "warnings": warnings}, key=key, confirm=True)
    try:
        body, _replayed = work.publish(g.desk_editor, story, compose, key,
                                      work.form_fingerprint("POST", request.path, request.form))
    except APIError as exc:
        if exc.error_code != "idempotency_key_reused":
            raise
        return _story_page(story, compose, 409, message=_(
            "This form was already used to publish an update (it is in the list below). "
            "Nothing was published now. To publish this text as another update, press Publish again."))
    # Said on a resend too: a double click's second answer is the one the browser shows.
    flash(_("Published. It is on the live page now."))
    for warning in work.gazetteer_notes(compose.headline, compose.html):
        flash(_("Gazetteer: %(warning)s", warning=warning))
    return redirect(body["location"], code=303)


@bp.route("/stories/<slug>/next", methods=["GET", "POST"])
def next_day(slug: str):
    story = _story_or_404(slug)
    proposal = days.propose(story)
    title = request.form.get("title", proposal.title).strip()[:300]
    summary = request.form.get("summary", proposal.summary).strip()[:2000]
    error = None
    if request.method == "POST":
        if not title:
            error = _("Give the new day a title.")
        else:
            body = work.start_next_day(g.desk_editor, story, title, summary, work.form_key(request.form),
                                       work.form_fingerprint("POST", request.path, request.form))
            if body.get("existing"):
                flash(_("This day was already started (in another tab, or by another editor): here it is."))
            else:
                flash(_("The new day is open. Its page links to the earlier days of the series."))
            return redirect(body["location"], code=303)
    end_read()
    return render_template("desk/next_day.html", story=story, proposal=proposal, title=title, summary=summary,
                           error=error, ready=days.can_start(proposal), key=work.new_key()), 422 if error else 200


# ---------------------------------------------------------------- corrections and withdrawals


def _entry_or_404(ref: str):
    entry = work.entry_by_ref(ref)
    if entry is None:
        abort(404, _("No update has that id."))
    return entry


def _withdrawn(entry):
    flash(_("That update is withdrawn: it can no longer be corrected or withdrawn."))
    return redirect(url_for("desk.story", slug=entry.story.slug) + f"#entry-{entry.uid}", code=303)


@bp.get("/entries/<ref>/correct")
def correct_form(ref: str):
    entry = _entry_or_404(ref)
    if entry.status != "published":
        return _withdrawn(entry)
    return render_template("desk/correct.html", entry=entry, headline=entry.headline,
                           body=markup.from_html(entry.body_html), note="", etag=work.current_etag(entry),
                           lossless=markup.round_trips(entry.body_html), errors={}, stale=None, key=work.new_key())


@bp.post("/entries/<ref>/correct")
def correct(ref: str):
    entry = _entry_or_404(ref)
    c = read_correction(request.form)
    key = work.form_key(request.form)
    if c.typo and not c.errors and work.changes_nothing(entry, c):
        c.errors["body"] = _("The headline and text are as they were: there is no typo fix to save.")
    if not c.errors:
        try:
            body, _replayed = work.correct(g.desk_editor, entry, c, key, work.form_fingerprint("POST", request.path,
                                                                                         request.form))
        except APIError as exc:
            if exc.error_code == "withdrawn":
                end_read()
                return _withdrawn(entry)
            if exc.error_code not in ("changed", "idempotency_key_reused"):
                raise
            end_read()
            if entry.status != "published":
                return _withdrawn(entry)
            # Someone else saved first: show their version to work from, and keep this editor's text.
            return render_template("desk/correct.html", entry=entry, headline=entry.headline,
                                   body=markup.from_html(entry.body_html), note=c.note,
                                   etag=work.current_etag(entry), lossless=markup.round_trips(entry.body_html),
                                   errors={}, stale=c, key=work.new_key()), 409
        flash(_("Typo fixed. Readers see the new text with no correction note; the log keeps the edit.")
              if c.typo else _("Correction published, dated now."))
        for warning in work.gazetteer_notes(c.headline, c.html if work.body_changed(entry, c) else entry.body_html):
            flash(_("Gazetteer: %(warning)s", warning=warning))
        return redirect(body["location"], code=303)
    end_read()
    return render_template("desk/correct.html", entry=entry, headline=c.headline, body=c.body, note=c.note,
                           etag=c.etag, lossless=markup.round_trips(entry.body_html), errors=c.errors, stale=None,
                           key=key), 422


def _withdraw_form(**context):
    """The withdrawal form, which tells the editor what feeds will carry in the update's place."""
    lang = languages.of_story(context["entry"].story)
    title, sentence = work.removed_notice(lang)
    return render_template("desk/withdraw.html", removed_title=title, removed_sentence=sentence, removed_lang=lang,
                           **context)


@bp.get("/entries/<ref>/withdraw")
def withdraw_form(ref: str):
    entry = _entry_or_404(ref)
    if entry.status != "published":
        return _withdrawn(entry)
    return _withdraw_form(entry=entry, reason="", note="", errors={}, key=work.new_key())


@bp.post("/entries/<ref>/withdraw")
def withdraw(ref: str):
    entry = _entry_or_404(ref)
    w = read_withdrawal(request.form)
    key = work.form_key(request.form)
    if w.errors:
        return _withdraw_form(entry=entry, reason=w.reason, note=w.note, errors=w.errors, key=key), 422
    try:
        body, _replayed = work.withdraw(g.desk_editor, entry, w, key, work.form_fingerprint("POST", request.path,
                                                                                     request.form))
    except APIError as exc:
        if exc.error_code not in ("withdrawn", "idempotency_key_reused"):
            raise
        end_read()
        return _withdrawn(entry)
    flash(work.withdrawal_message(w.note, current_app.config["WITHDRAWN_DAYS"], work.partners_told(entry),
                                languages.of_story(entry.story)))
    return redirect(body["location"], code=303)


# ---------------------------------------------------------------- the log


@bp.get("/log")
def log():
    page = ascii_int(request.args.get("page", "1"), minimum=1, maximum=999_999)
    if page is None:
        abort(404, _("Pages of the log are numbered from 1."))
    rows, more = work.log_page(page)
    if page > 1 and not rows:
        abort(404, _("The log has no page that far back."))
    return render_template("desk/log.html", rows=rows, page=page, more=more, entries=work.log_targets(rows),
                           stories=work.stories_by_id(rows))
