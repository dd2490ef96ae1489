"""The desk's issue 16 work over HTTP: "Publish anyway?", the past-day warning, the series' days, typo fixes
without a public note, and the lead picture from the compose form (camera roll formats, cleaned of metadata).
"""
from __future__ import annotations

import html
import io
import re
from datetime import datetime, timedelta

import feedparser
import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from test_desk import TBILISI, Desk, desk, entry_count, form_values, live  # noqa: F401  (desk, live: fixtures)
from test_media import assert_clean, hostile_exif, hostile_jpeg, hostile_png, hostile_webp, marked, stored, xmp_packet
from syndicate.extensions import db
from syndicate.models import Entry

SHUSHA = {"headline": "Shelling near Shusha", "body": "Residents sheltered in basements."}


def post(desk: Desk, path: str, **fields):
    """A multipart form as a browser sends it; a file given as (bytes, name, type)."""
    return multipart(desk.client, path, fields)


def multipart(client, path: str, fields: dict):
    form = {name: FileStorage(io.BytesIO(value[0]), value[1], content_type=value[2]) if isinstance(value, tuple)
            else value for name, value in fields.items()}
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(form)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def api_entry(newsroom, uid: str) -> dict:
    return newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).json


def published_uid(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return re.search(r"published=([0-9a-f-]+)", response.location).group(1)


# ---------------------------------------------------------------- Publish anyway?


def test_a_first_publish_with_warnings_asks_and_the_answer_publishes(desk, newsroom, live):
    path = f"/desk/stories/{live}/entries"
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    asked = post(desk, path, **hidden, **SHUSHA)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "<h2>Publish anyway?</h2>" in page
    assert "Shusha appears without its other name; the style is Shusha (Shushi)." in page
    assert ">Publish anyway</button>" in page
    assert 'value="Shelling near Shusha"' in page and "Residents sheltered in basements." in page  # text kept
    assert entry_count(newsroom, live) == 0  # nothing went live unseen
    again = form_values(page)
    assert again["idempotency_key"] == hidden["idempotency_key"] and again["confirmed_warnings"] == "1"

    # The answer always publishes (it never blocks), once however often it is sent.
    first, second = post(desk, path, **again, **SHUSHA), post(desk, path, **again, **SHUSHA)
    assert published_uid(first) == published_uid(second)
    assert entry_count(newsroom, live) == 1
    assert "Gazetteer: Shusha appears without its other name" in desk.get(first.location)

    # A text the gazetteer is happy with publishes at once.
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    published_uid(post(desk, path, **hidden, headline="Shelling near Shusha (Shushi)", body="Two houses hit."))
    assert entry_count(newsroom, live) == 2


# ---------------------------------------------------------------- days


def test_a_past_day_warns_and_the_days_of_the_series_are_listed(desk, newsroom, live):
    today = datetime.now(TBILISI).date()
    yesterday = today - timedelta(days=1)
    page = desk.get(f"/desk/stories/{live}")
    said = (f'This update will be filed under <time datetime="{yesterday.isoformat()}">'
            f'{yesterday.day} {yesterday.strftime("%B %Y")}</time>, not today’s live page.')
    assert said in page
    assert f'href="/desk/stories/{live}/next">Start today’s day</a>' in page  # none open yet

    # Today's day is started: the old day points to it, and today's page warns of nothing.
    today_slug = f"live-{today.isoformat()}"
    started = desk.submit(f"/desk/stories/{live}/next", f"/desk/stories/{live}/next",
                          title=f"Live updates: Day 40 of the war, {today.day} {today.strftime('%B %Y')}")
    assert started.location == f"/desk/stories/{today_slug}"
    old = desk.get(f"/desk/stories/{live}")
    assert said in old and f'href="/desk/stories/{today_slug}">Go to today’s day</a>' in old
    current = desk.get(f"/desk/stories/{today_slug}")
    assert "filed under" not in current and "Files under" not in current

    # Both pages list both days, newest first, each marking itself as the current page.
    for slug, page in ((live, old), (today_slug, current)):
        nav = re.search(r'<nav class="days".*?</nav>', page, re.S).group(0)
        assert re.findall(r'href="/desk/stories/([a-z0-9-]+)"', nav) == [today_slug, live]
        assert re.findall(r'href="/desk/stories/([a-z0-9-]+)" aria-current="page"', nav) == [slug]
        assert f'Today, <time datetime="{today.isoformat()}">' in nav


def test_the_days_list_stops_at_a_week(desk, newsroom):
    today = datetime.now(TBILISI).date()
    slugs = []
    for back in range(9, -1, -1):
        day = today - timedelta(days=back)
        slugs.append(newsroom.story(title=f"War, {day.isoformat()}", slug=f"war-{day.isoformat()}", kind="live",
                                    series="war", published_at=datetime.combine(  # midnight: never in the future
                                        day, datetime.min.time(), tzinfo=TBILISI).isoformat())["slug"])
    page = desk.get(f"/desk/stories/{slugs[0]}")  # the oldest day, opened from a link
    nav = re.search(r'<nav class="days".*?</nav>', page, re.S).group(0)
    listed = re.findall(r'href="/desk/stories/([a-z0-9-]+)"', nav)
    assert listed == slugs[::-1][:7] + [slugs[0]]  # the last week, and the day being looked at


# ---------------------------------------------------------------- typo fixes


def test_a_typo_fix_is_logged_as_an_edit_and_shows_no_correction(app, desk, newsroom, live):
    uid = newsroom.entry(live, headline="Talks in Genva", body_text="Ministers meet in Genva.")["uid"]
    with app.app_context():  # as if published an hour ago, so a new `updated` shows whatever the clock
        entry = db.session.scalar(select(Entry).where(Entry.uid == uid))
        entry.updated_at -= timedelta(hours=1)
        db.session.commit()
    before = api_entry(newsroom, uid)
    etag = newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).headers["ETag"]
    feed_before = feedparser.parse(newsroom.client.get(f"/stories/{live}/feed.atom").data).entries[0].updated

    path = f"/desk/entries/{uid}/correct"
    form = desk.get(path)
    assert "Fix a typo (no public note)" in form and "Publish the correction" in form
    # A typo fix with a note for readers is refused rather than dropping the note unseen.
    noted = desk.submit(path, path, kind="typo", headline="Talks in Geneva", body="Ministers meet in Geneva.",
                        correction="Spelling.")
    assert noted.status_code == 422 and "A typo fix shows readers no note" in html.unescape(
        noted.get_data(as_text=True))
    # And one that changes nothing has nothing to save.
    same = desk.submit(path, path, kind="typo", headline="Talks in Genva", body="Ministers meet in Genva.")
    assert same.status_code == 422 and "no typo fix to save" in same.get_data(as_text=True)

    fixed = desk.submit(path, path, kind="typo", headline="Talks in Geneva", body="Ministers meet in Geneva.")
    assert fixed.status_code == 303
    assert "Typo fixed." in desk.get(fixed.location)
    state = api_entry(newsroom, uid)
    assert state["headline"] == "Talks in Geneva" and state["body_html"] == "<p>Ministers meet in Geneva.</p>"
    assert state["corrections"] == [] and state["updated_at"] > before["updated_at"]
    assert newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers).headers["ETag"] != etag

    public = newsroom.client.get(f"/stories/{live}").get_data(as_text=True)
    assert "Talks in Geneva" in public and "Correction" not in public and "Genva" not in public
    raw = newsroom.client.get(f"/stories/{live}/feed.atom").data
    item = feedparser.parse(raw).entries[0]
    assert item.title == "Talks in Geneva" and b"Correction" not in raw
    assert item.updated > feed_before  # feed readers fetch the new text
    log = desk.get("/desk/log")
    assert "ana</strong> edited" in log and "</strong> corrected" not in log


# ---------------------------------------------------------------- the lead picture


def test_a_picture_from_the_camera_roll_becomes_the_lead_image_without_its_metadata(app, desk, newsroom, live):
    photo = hostile_jpeg()  # GPS, serial number, maker, thumbnail, comment: all in the file
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    response = post(desk, f"/desk/stories/{live}/entries", **hidden, headline="Aid convoy arrives",
                    body="Forty lorries.", byline="Anna Petrosyan", alt="Lorries queue at the checkpoint",
                    caption="The convoy at dawn.", credit="Staff photographer",
                    image_file=(photo, "IMG_0042.JPG", "image/jpeg"))
    uid = published_uid(response)
    state = api_entry(newsroom, uid)
    assert state["byline"] == "Anna Petrosyan" and state["image"]

    page = desk.get(response.location)
    item = re.search(rf'<li id="entry-{uid}".*?</li>', page, re.S).group(0)
    assert "By Anna Petrosyan" in item and 'alt="Lorries queue at the checkpoint"' in item
    assert "The convoy at dawn." in item and "Staff photographer" in item
    src = re.search(r'<img src="(/media/[A-Za-z0-9]+/\d+\.jpg)"', item).group(1)
    assert state["image"] in src
    served = newsroom.client.get(src)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert_clean(served.data)
    kept = stored(app)
    assert kept and all(assert_clean(data) for data in kept)


def heic() -> bytes:
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("libheif has no HEIC encoder here")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    marked(1000, 800).save(out, "HEIF", exif=hostile_exif(1).tobytes(), xmp=xmp_packet())
    return out.getvalue()


@pytest.mark.parametrize("kind", ["heic", "png", "webp"])
def test_every_camera_roll_format_is_taken(desk, newsroom, live, kind):
    data, name, media_type = {"heic": lambda: (heic(), "IMG_0045.HEIC", "image/heic"),
                              "png": lambda: (hostile_png(), "screen.png", "image/png"),
                              "webp": lambda: (hostile_webp(), "photo.webp", "image/webp")}[kind]()
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    uid = published_uid(post(desk, f"/desk/stories/{live}/entries", **hidden, headline=f"A {kind}",
                             body="From the phone.", alt="A street", image_file=(data, name, media_type)))
    page = desk.get(f"/desk/stories/{live}")
    src = re.search(rf'<li id="entry-{uid}".*?<img src="(/media/[A-Za-z0-9]+/\d+\.(?:jpg|webp))"', page, re.S)
    assert_clean(newsroom.client.get(src.group(1)).data)


def test_a_picture_the_desk_cannot_take_is_a_4xx_with_its_reason_and_the_text_kept(desk, newsroom, live):
    path = f"/desk/stories/{live}/entries"
    text = {"headline": "Aid convoy arrives", "body": "Forty lorries reached the town."}
    cases = [
        ({"alt": "A picture"}, (b"%PDF-1.4 not a picture", "scan.pdf", "application/pdf"), 415,
         "The file is not a JPEG, PNG, WebP or HEIC image."),
        ({"alt": "A picture"}, (hostile_jpeg()[:2000], "cut.jpg", "image/jpeg"), 422, "damaged"),
        ({"alt": ""}, (hostile_jpeg(), "IMG_0043.JPG", "image/jpeg"), 422, "alt text is required"),
    ]
    for extra, upload, status, reason in cases:
        hidden = form_values(desk.get(f"/desk/stories/{live}"))
        response = post(desk, path, **hidden, **text, **extra, image_file=upload)
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == status, (upload[1], response.status_code)
        assert reason in page, upload[1]
        assert 'value="Aid convoy arrives"' in page and "Forty lorries reached the town." in page
        assert 'aria-invalid="true"' in page
    assert entry_count(newsroom, live) == 0


def test_a_stored_picture_rides_along_through_publish_anyway(desk, newsroom, live):
    """Asked "Publish anyway?", the editor is never asked to choose the picture again."""
    path = f"/desk/stories/{live}/entries"
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    asked = post(desk, path, **hidden, **SHUSHA, alt="Smoke over the old town",
                 image_file=(hostile_jpeg(800, 600, 1), "IMG_0044.HEIC.jpg", "image/jpeg"))
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Publish anyway?" in page and "<strong>Attached.</strong>" in page
    again = form_values(page)
    assert again["image"]
    uid = published_uid(post(desk, path, **again, **SHUSHA))
    assert api_entry(newsroom, uid)["image"] == again["image"]

    # Removing an attached picture before publishing publishes none.
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    uid = published_uid(post(desk, path, **hidden, headline="No picture", body="Text only.",
                             image=again["image"], remove_image="on"))
    assert api_entry(newsroom, uid)["image"] is None


def test_a_large_picture_passes_the_body_limit_only_for_a_signed_in_editor(app, desk, client, live):
    big = b"\xff\xd8" + b"\x00" * (2 * 1024 * 1024)  # past the app's 1 MiB body limit
    hidden = form_values(desk.get(f"/desk/stories/{live}"))
    response = post(desk, f"/desk/stories/{live}/entries", **hidden, headline="Big", body="Big file.",
                    alt="Noise", image_file=(big, "big.jpg", "image/jpeg"))
    # Read, then refused for what it is (not a picture), not for its size.
    assert response.status_code in (415, 422) and "Nothing was published." in response.get_data(as_text=True)
    stranger = app.test_client()
    refused = multipart(stranger, f"/desk/stories/{live}/entries", {"image_file": (big, "big.jpg", "image/jpeg")})
    assert refused.status_code == 413
