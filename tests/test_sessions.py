"""Sessions the server can end: a copied cookie opens nothing after sign-out, a member's and an editor's
sessions in one browser come and go alone, revoking and new tokens end them, the signed_in marker lives as
long as the session it marks; and desk sign-in does the same work for every address.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import create_engine, event, select, text, update

from conftest import TEST_DB_URL, sign_in
from servers import wait_for
from test_desk import EMAIL, add_editor, form_values, mailed_links, sign_in as desk_sign_in

from syndicate import sessions
from syndicate.extensions import db
from syndicate.models import OutboxMail, SignedInSession


@pytest.fixture
def app_config():
    # A request that waits on a lock gives up (503) after a second instead of five.
    return {"DB_STATEMENT_TIMEOUT": 1}


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """Another browser holding a copy of the session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def marker(response):
    """The signed_in cookie a response sets, as a Morsel, or None."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("signed_in="):
            jar = SimpleCookie()
            jar.load(header)
            return jar["signed_in"]
    return None


def rows(app, purpose: str | None = None) -> list[SignedInSession]:
    with app.app_context():
        query = select(SignedInSession)
        if purpose:
            query = query.where(SignedInSession.purpose == purpose)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def post_form(client, page_path: str, action: str):
    """Press a button on a page: its form's hidden fields (the CSRF token) go with it."""
    return client.post(action, data=form_values(client.get(page_path).get_data(as_text=True)))


def member_signout(client):
    return post_form(client, "/account", "/account/signout")


def desk_signout(client):
    return post_form(client, "/desk/", "/desk/signout")


# ---------------------------------------------------------------- signing out ends the session


def test_a_copied_member_cookie_opens_nothing_after_sign_out(app, client, runner):
    sign_in(client, runner)
    copy = session_cookie(client)
    assert replay(app, copy).get("/account").status_code == 200  # the copy works while the session does

    assert member_signout(client).status_code == 303
    assert client.get("/account").status_code == 302
    replayed = replay(app, copy)
    response = replayed.get("/account")
    assert response.status_code == 302 and response.location.endswith("/signin")
    assert "token=" not in replayed.get("/feeds").get_data(as_text=True)  # no member's feed addresses either
    assert rows(app) == []


def test_a_copied_desk_cookie_opens_nothing_after_sign_out(app, client, runner):
    add_editor(runner)
    desk_sign_in(app, client)
    copy = session_cookie(client)
    assert "Signed in as ana" in replay(app, copy).get("/desk/").get_data(as_text=True)

    assert desk_signout(client).status_code == 303
    response = replay(app, copy).get("/desk/")
    assert response.status_code == 303 and response.location.endswith("/desk/signin")
    assert rows(app) == []


# ---------------------------------------------------------------- a member and an editor in one browser


def test_a_members_and_an_editors_sessions_in_one_browser_are_independent(app, client, runner):
    add_editor(runner)
    desk_sign_in(app, client)
    sign_in(client, runner)  # the member signs in after the editor: the desk stays open
    assert client.get("/desk/").status_code == 200 and client.get("/account").status_code == 200
    [editor] = rows(app, "editor")

    signed_out = member_signout(client)
    assert client.get("/account").status_code == 302
    assert "Signed in as ana" in client.get("/desk/").get_data(as_text=True)
    # The marker stays, now living as long as the desk session it still stands for.
    kept = marker(signed_out)
    assert kept is not None and kept.value == "1"
    assert parsedate_to_datetime(kept["expires"]) == editor.expires_at.replace(microsecond=0)

    sign_in(client, runner)
    signed_out = desk_signout(client)
    assert client.get("/desk/").status_code == 303
    assert client.get("/account").status_code == 200
    assert marker(signed_out).value == "1"

    signed_out = member_signout(client)  # the last session ends: so does the marker
    assert signed_out.status_code == 303 and marker(signed_out)["max-age"] == "0"
    assert client.get_cookie("signed_in") is None
    assert client.get_cookie("session").expires is None  # what is left, a CSRF secret, ends with the browser


def test_signing_in_as_a_member_keeps_a_form_open_in_another_tab_valid(app, client, runner):
    add_editor(runner)
    desk_sign_in(app, client)
    page = client.get("/desk/").get_data(as_text=True)  # the desk's sign-out form, open in a tab
    sign_in(client, runner)
    # Nothing cleared the session: the CSRF secret behind that form still holds.
    assert client.post("/desk/signout", data=form_values(page)).status_code == 303
    assert client.get("/account").status_code == 200


# ---------------------------------------------------------------- ended from the server


def test_editors_revoke_ends_the_editors_sessions(app, client, runner):
    add_editor(runner)
    desk_sign_in(app, client)
    other = app.test_client()
    desk_sign_in(app, other)
    assert len(rows(app, "editor")) == 2
    copy = session_cookie(client)

    result = runner.invoke(args=["editors", "revoke", "ana"])
    assert result.exit_code == 0, result.output
    assert rows(app, "editor") == []
    for browser in (client, other, replay(app, copy)):
        response = browser.get("/desk/log")
        assert response.status_code == 303 and response.location.endswith("/desk/signin")
    gone = client.get("/desk/")  # the browser learns its session ended: the marker goes too
    assert marker(gone) is None or marker(gone)["max-age"] == "0"


def test_a_new_member_token_ends_the_members_sessions(app, client, runner):
    sign_in(client, runner)
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, runner)
    sign_in(phone, runner)
    assert len(rows(app, "member")) == 3

    # From the account page on the laptop: every other session ends, the laptop's starts afresh.
    page = laptop.get("/account").get_data(as_text=True)
    response = laptop.post("/account/token", data={**form_values(page), "confirm": "yes"})
    assert response.status_code == 303
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302 and client.get("/account").status_code == 302
    assert len(rows(app, "member")) == 1

    result = runner.invoke(args=["members", "new-token", "reader@example.org"])
    assert result.exit_code == 0, result.output
    assert rows(app, "member") == []
    assert laptop.get("/account").status_code == 302


def test_a_session_signed_in_while_the_token_was_replaced_does_not_survive_it(app, client, runner):
    sign_in(client, runner)
    [row] = rows(app, "member")
    with app.app_context():  # the sign-in read the old token version just before the new token committed
        db.session.execute(update(SignedInSession).values(version=row.version - 1))
        db.session.commit()
    assert client.get("/account").status_code == 302


def test_a_lapsed_members_session_opens_no_archive_but_still_reaches_the_account(app, client, runner, newsroom):
    newsroom.story(title="Analysis", slug="analysis", access="members")
    newsroom.entry("analysis", headline="Deep analysis", body_text="Seen by members alone.")
    sign_in(client, runner)
    assert "Seen by members alone." in client.get("/stories/analysis").get_data(as_text=True)
    result = runner.invoke(args=["members", "comp", "reader@example.org", "--until", "2020-01-31"])
    assert result.exit_code == 0, result.output
    assert "Seen by members alone." not in client.get("/stories/analysis").get_data(as_text=True)
    account = client.get("/account")  # to renew, as the sign-in mail promises a lapsed member
    assert account.status_code == 200 and "not active" in account.get_data(as_text=True)


# ---------------------------------------------------------------- the marker and the session live alike


def test_the_signed_in_marker_expires_with_the_session(app, client, runner):
    sign_in(client, runner)
    [row] = rows(app, "member")
    lifetime = app.permanent_session_lifetime
    assert row.expires_at - row.created_at == lifetime
    signed_in = client.get_cookie("signed_in")
    assert signed_in is not None and signed_in.http_only and signed_in.same_site == "Lax"
    assert signed_in.expires == row.expires_at.replace(microsecond=0)

    # Using the session extends neither it nor the marker: both end when the sign-in said.
    later = client.get("/account")
    assert later.status_code == 200 and not later.headers.getlist("Set-Cookie")
    assert rows(app, "member")[0].expires_at == row.expires_at

    with app.app_context():  # the lifetime runs out
        db.session.execute(update(SignedInSession).values(expires_at=datetime.now(timezone.utc)))
        db.session.commit()
    expired = client.get("/account")
    assert expired.status_code == 302 and marker(expired)["max-age"] == "0"


def test_the_marker_set_at_sign_in_says_the_sessions_lifetime(app, client, runner):
    add_editor(runner)
    page = client.get("/desk/signin").get_data(as_text=True)
    client.post("/desk/signin", data={"email": EMAIL, **form_values(page)})
    link = wait_for(lambda: mailed_links(app), what="the desk sign-in mail")[0]
    used = client.post(link, data=form_values(client.get(link).get_data(as_text=True)))
    set_cookie = marker(used)
    [row] = rows(app, "editor")
    assert parsedate_to_datetime(set_cookie["expires"]) == row.expires_at.replace(microsecond=0)
    lifetime = app.permanent_session_lifetime.total_seconds()
    assert lifetime - 60 < int(set_cookie["max-age"]) <= lifetime


def test_a_reader_who_only_opened_a_form_gets_no_session_row_and_no_marker(app, client):
    for path in ("/signin", "/join", "/desk/signin"):
        response = client.get(path)
        assert response.status_code == 200 and marker(response) is None
    assert client.get_cookie("session") is not None  # the CSRF secret
    assert client.get_cookie("signed_in") is None
    assert rows(app) == []


def test_expired_session_rows_can_be_deleted(app, client, runner):
    sign_in(client, runner)
    stale = app.test_client()
    sign_in(stale, runner, "other@example.org")
    with app.app_context():
        db.session.execute(update(SignedInSession).where(SignedInSession.subject_id != rows(app)[0].subject_id)
                           .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert "expired sessions: 1 deleted" in result.output, result.output
    assert len(rows(app)) == 1
    assert client.get("/account").status_code == 200


# ---------------------------------------------------------------- desk sign-in is no oracle


def statements_of(app, request):
    """The SQL statements (text only) this thread sends while making one request."""
    seen, me = [], threading.get_ident()

    def record(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == me:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response, seen


def test_desk_signin_does_the_same_work_for_an_editors_address_and_anyone_elses(app, client, runner):
    add_editor(runner)
    hidden = form_values(client.get("/desk/signin").get_data(as_text=True))
    client.post("/desk/signin", data={"email": "warm@example.org", **hidden})  # first-request set-up aside

    known, known_sql = statements_of(app, lambda: client.post("/desk/signin", data={"email": EMAIL, **hidden}))
    unknown, unknown_sql = statements_of(
        app, lambda: client.post("/desk/signin", data={"email": "nobody@example.org", **hidden}))
    assert known.status_code == unknown.status_code == 200 and known.data == unknown.data
    assert known_sql == unknown_sql and known_sql  # the same statements, in the same order
    assert not any("editor" in statement.lower() for statement in known_sql)  # nobody is looked up

    # The outbox looks the address up later: only the editor gets a link, and nothing else is kept.
    wait_for(lambda: mailed_links(app), what="the desk sign-in mail")
    wait_for(lambda: outbox_kinds(app) == [], what="the other requests to be dropped (and the mail deleted once sent)")
    assert len(mailed_links(app)) == 1


def outbox_kinds(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMail.kind)))


@pytest.mark.skipif(not (TEST_DB_URL or "").startswith("postgresql"), reason="SQLite has one writer whatever")
def test_a_used_desk_link_is_recorded_without_the_content_write_lock(app, client, runner):
    add_editor(runner)
    page = client.get("/desk/signin").get_data(as_text=True)
    client.post("/desk/signin", data={"email": EMAIL, **form_values(page)})
    link = wait_for(lambda: mailed_links(app), what="the desk sign-in mail")[0]
    hidden = form_values(client.get(link).get_data(as_text=True))

    publisher = create_engine(TEST_DB_URL)
    try:
        with publisher.connect() as held:  # an editor's publish holds the content lock meanwhile
            held.execute(text("UPDATE site_state SET version = version WHERE id = 1"))
            used = client.post(link, data=hidden)
            held.rollback()
    finally:
        publisher.dispose()
    assert used.status_code == 303, used.status_code
    assert client.get("/desk/").status_code == 200
