"""Entries with a lead image and a byline: set, changed and removed through the API, refused when wrong."""
from __future__ import annotations

import io
import re

import feedparser
import pytest
from PIL import Image

from conftest import SITE
from test_media import upload


def picture(client, headers, size=(1200, 800), colour=(40, 90, 160), **fields) -> dict:
    """Upload a plain picture through POST /api/media and return its answer."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    response = upload(client, headers, out.getvalue(), **fields)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def story(newsroom) -> str:
    return newsroom.story(title="Live", slug="live")["slug"]


def read(newsroom, uid):
    response = newsroom.client.get(f"/api/entries/{uid}", headers=newsroom.headers)
    assert response.status_code == 200
    return response


def test_an_entry_gets_a_lead_image_and_byline_changes_and_loses_them(client, newsroom, story):
    first = picture(client, newsroom.headers, alt="Lorries at the crossing")
    second = picture(client, newsroom.headers, alt="The bridge at dusk", colour=(200, 120, 40))
    uid = newsroom.entry(story, headline="Convoy", image=first["id"], byline="  Staff   reporter ")["uid"]
    got = read(newsroom, uid).json
    assert got["image"] == first["id"] and got["byline"] == "Staff reporter"

    etag = read(newsroom, uid).headers["ETag"]
    changed = newsroom.patch(uid, image=second["id"], byline="Desk editor")
    assert changed.status_code == 200
    got = read(newsroom, uid)
    assert got.json["image"] == second["id"] and got.json["byline"] == "Desk editor"
    assert got.headers["ETag"] != etag

    # Sent again, the same change changes nothing, not even the ETag.
    etag = got.headers["ETag"]
    again = newsroom.patch(uid, image=second["id"], byline="Desk editor")
    assert again.status_code == 200 and read(newsroom, uid).headers["ETag"] == etag

    # A PATCH that names neither keeps both.
    assert newsroom.patch(uid, headline="Convoy crosses").status_code == 200
    assert read(newsroom, uid).json["image"] == second["id"]

    assert newsroom.patch(uid, image=None, byline="").status_code == 200
    got = read(newsroom, uid).json
    assert got["image"] is None and got["byline"] is None

    assert newsroom.patch(uid, byline="Someone").status_code == 200
    assert newsroom.patch(uid, byline=None).status_code == 200
    assert read(newsroom, uid).json["byline"] is None


def test_an_entry_without_them_has_none(newsroom, story):
    uid = newsroom.entry(story, headline="Plain")["uid"]
    got = read(newsroom, uid).json
    assert got["image"] is None and got["byline"] is None


@pytest.mark.parametrize("value", ["0123456789abcdef01234567", "nope", "", 42, ["x"], {"id": "x"}, "../x",
                                   "a" * 33, "abc\x00", "é"])
def test_an_image_that_is_not_ours_is_422(newsroom, story, value):
    response = newsroom.client.post(f"/api/stories/{story}/entries",
                                    json={"headline": "H", "body_text": "B", "image": value},
                                    headers=newsroom.headers)
    assert response.status_code == 422 and "image" in response.json["error"]["fields"]
    uid = newsroom.entry(story, headline="H")["uid"]
    etag = read(newsroom, uid).headers["ETag"]
    response = newsroom.patch(uid, image=value)
    assert response.status_code == 422 and "image" in response.json["error"]["fields"]
    assert read(newsroom, uid).headers["ETag"] == etag


@pytest.mark.parametrize("value", ["Name\nInjected", "Tab\there", "Bell\x07", "NUL\x00", "x" * 201, 7, ["a"],
                                   "Line\u2028sep"])
def test_a_byline_must_be_one_short_line(newsroom, story, value):
    response = newsroom.client.post(f"/api/stories/{story}/entries",
                                    json={"headline": "H", "body_text": "B", "byline": value},
                                    headers=newsroom.headers)
    assert response.status_code == 422 and "byline" in response.json["error"]["fields"]
    uid = newsroom.entry(story, headline="H", byline="Kept")["uid"]
    assert newsroom.patch(uid, byline=value).status_code == 422
    assert read(newsroom, uid).json["byline"] == "Kept"


def test_an_image_and_a_byline_replay_under_an_idempotency_key(client, newsroom, story):
    image = picture(client, newsroom.headers)
    body = {"headline": "Once", "body_text": "B", "image": image["id"], "byline": "Staff reporter"}
    headers = {**newsroom.headers, "Idempotency-Key": "img-1"}
    first = client.post(f"/api/stories/{story}/entries", json=body, headers=headers)
    second = client.post(f"/api/stories/{story}/entries", json=body, headers=headers)
    assert first.status_code == second.status_code == 201 and first.json == second.json
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(client.get(f"/stories/{story}/feed.json").json["items"]) == 1


# --- pictures inside a body -----------------------------------------------------------------------

OURS = "0123456789abcdef01234567"
MEDIA = f"/media/{OURS}/480.jpg"


def body_of(newsroom, story, html: str) -> str:
    uid = newsroom.entry(story, headline="H", body_html=html)["uid"]
    return read(newsroom, uid).json["body_html"]


@pytest.mark.parametrize("img", [
    '<img src="https://evil.example/media/0123456789abcdef01234567/480.jpg" alt="x">',
    '<img src="//evil.example/media/0123456789abcdef01234567/480.jpg" alt="x">',
    '<img src="javascript:alert(1)" alt="x">',
    '<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">',
    '<img src="https://tracker.example/p.gif">',
    f'<img src="{MEDIA}" srcset="{MEDIA} 480w, https://evil.example/big.jpg 960w" alt="x">',
    f'<img src="{MEDIA}" srcset="//evil.example{MEDIA} 1x" alt="x">',
    f'<img src="{MEDIA}" srcset="{MEDIA} 480w,https://evil.example/x.jpg" alt="x">',
    f'<img src="http://newsroom.test.evil.example{MEDIA}" alt="x">',
    f'<img src="http://newsroom.test@evil.example{MEDIA}" alt="x">',
    f'<img src="https://newsroom.test{MEDIA}" alt="x">',  # another scheme is another origin
    '<img src="/media/../../evil/480.jpg" alt="x">',
    f'<img src="{MEDIA}?u=https://evil.example" alt="x">',
    '<img src="/media/0123456789ABCDEF01234567/480.jpg" alt="x">',
    '<img alt="no source">',
    f'<img srcset="{MEDIA} 480w" alt="srcset alone">',
])
def test_a_picture_that_is_not_ours_is_removed_from_a_body(newsroom, story, img):
    html = body_of(newsroom, story, f"<p>Before {img} after</p>")
    assert "<img" not in html and "evil" not in html and "javascript" not in html and "data:" not in html
    assert html.startswith("<p>Before") and html.endswith("after</p>")


def test_our_own_pictures_stay_absolute_lazy_and_without_anything_else(client, newsroom, story):
    image = picture(client, newsroom.headers)
    src = f"/media/{image['id']}/480.jpg"
    html = body_of(newsroom, story,
                   f'<p><img src="{src}" srcset="{src} 480w, {image["url"]} 1200w" sizes="(max-width: 40rem) 100vw"'
                   f' alt="A &quot;quoted&quot; street" width="480" height="x" onerror="steal()" style="x"'
                   f' loading="eager"></p>')
    assert html == (f'<p><img src="http://newsroom.test{src}" srcset="http://newsroom.test{src} 480w, '
                    f'{image["url"]} 1200w" sizes="(max-width: 40rem) 100vw" alt="A &quot;quoted&quot; street"'
                    f' width="480" loading="lazy" decoding="async"></p>')
    # What the body names is served.
    assert client.get(src).status_code == 200
    html = body_of(newsroom, story, f'<figure><img src="{image["url"]}"><figcaption>Cap</figcaption></figure>')
    assert html == (f'<figure><img src="{image["url"]}" alt="" loading="lazy" decoding="async">'
                    f"<figcaption>Cap</figcaption></figure>")


# --- feeds ----------------------------------------------------------------------------------------

def feeds(client, path: str) -> dict:
    """The three formats of one feed: RSS and Atom as feedparser reads them, JSON Feed as JSON."""
    out = {}
    for fmt in ("rss", "atom"):
        response = client.get(f"{path}.{fmt}")
        assert response.status_code == 200
        parsed = feedparser.parse(response.data)
        assert not parsed.bozo, parsed.bozo_exception
        out[fmt] = parsed
    out["json"] = client.get(f"{path}.json").json
    return out


def test_feeds_carry_the_lead_image_and_byline_and_nothing_where_there_is_none(client, newsroom, story):
    image = picture(client, newsroom.headers, alt="Lorries at the crossing", caption="The first convoy",
                    credit="Staff photographer")
    newsroom.entry(story, headline="Plain", published_at="2026-11-04T10:00:00+04:00")
    newsroom.entry(story, headline="Pictured", image=image["id"], byline="Staff reporter",
                   published_at="2026-11-04T11:00:00+04:00")
    widest = client.get(image["url"][len(SITE):])
    length, kind = str(len(widest.data)), widest.mimetype
    assert kind == "image/jpeg"

    for path in (f"/stories/{story}/feed", "/feeds/latest"):
        got = feeds(client, path)
        rss, atom, jf = got["rss"].entries, got["atom"].entries, got["json"]["items"]
        assert [e.title for e in rss] == [e.title for e in atom] == [i["title"] for i in jf] == ["Pictured", "Plain"]

        assert rss[0].enclosures == [{"href": image["url"], "length": length, "type": kind}]
        assert rss[0].media_content == [{"url": image["url"], "type": kind, "filesize": length, "medium": "image",
                                         "width": str(image["width"]), "height": str(image["height"])}]
        assert rss[0].author == "Staff reporter"  # from dc:creator
        assert got["rss"].namespaces["media"] == "http://search.yahoo.com/mrss/"
        atom_links = [link for link in atom[0].links if link.rel == "enclosure"]
        assert atom_links == [{"rel": "enclosure", "href": image["url"], "length": length, "type": kind}]
        assert atom[0].author_detail == {"name": "Staff reporter"}
        assert jf[0]["image"] == image["url"] and jf[0]["authors"] == [{"name": "Staff reporter"}]
        assert jf[0]["attachments"] == [{"url": image["url"], "mime_type": kind, "size_in_bytes": int(length),
                                         "title": "Lorries at the crossing"}]

        # The picture is in the content too, with its words.
        for html in (rss[0].description, atom[0].content[0].value, jf[0]["content_html"]):
            figure = html[:html.index("</figure>")]  # feedparser re-writes attributes in its own order
            assert figure.startswith("<figure><img ") and f'src="{image["url"]}"' in figure
            assert 'alt="Lorries at the crossing"' in figure and f'width="{image["width"]}"' in figure
            assert "<figcaption>The first convoy · Staff photographer</figcaption></figure>" in html

        # Nothing is made up for the entry without them: no enclosure, no picture, no person.
        assert not rss[1].get("enclosures") and not rss[1].get("media_content") and "author" not in rss[1]
        assert not [link for link in atom[1].links if link.rel == "enclosure"]
        assert "authors" not in jf[1] and "image" not in jf[1] and "attachments" not in jf[1]
        assert "<figure" not in jf[1]["content_html"]
        # In Atom an entry without its own author has the feed's: the newsroom, never a person.
        assert "author" not in atom[1] and got["atom"].feed.author == "syndicate demo newsroom"

    raw = client.get(f"/stories/{story}/feed.rss").data.decode()
    assert "<media:description type=\"plain\">Lorries at the crossing</media:description>" in raw
    assert "<media:credit>Staff photographer</media:credit>" in raw
    assert "<dc:creator>Staff reporter</dc:creator>" in raw and raw.count("<dc:creator>") == 1
    raw = client.get(f"/stories/{story}/feed.atom").data.decode()
    assert raw.count("<author>") == 2 and raw.count("<name>Staff reporter</name>") == 1  # the feed's, and one entry's


def test_feeds_without_pictures_or_bylines_declare_neither(client, newsroom, story):
    newsroom.entry(story, headline="Plain")
    raw = client.get(f"/stories/{story}/feed.rss").data.decode()
    assert "mrss" not in raw and "dc:creator" not in raw and "<enclosure" not in raw


def test_a_removed_image_or_byline_leaves_the_feeds(client, newsroom, story):
    image = picture(client, newsroom.headers)
    uid = newsroom.entry(story, headline="Pictured", image=image["id"], byline="Staff reporter")["uid"]
    assert client.get(f"/stories/{story}/feed.json").json["items"][0]["image"] == image["url"]
    assert newsroom.patch(uid, image=None, byline=None).status_code == 200
    item = client.get(f"/stories/{story}/feed.json").json["items"][0]
    assert "image" not in item and "authors" not in item and "<figure" not in item["content_html"]


# --- pages ----------------------------------------------------------------------------------------

def local_only(html: str) -> None:
    """Every address a page would load, srcset candidates included, is on the page's own host."""
    for attr in re.findall(r'<(?:script|link|img|iframe|source)[^>]*?\s(?:src|href)="([^"]+)"', html):
        assert attr.startswith("/") and not attr.startswith("//"), attr
    for srcset in re.findall(r'\ssrcset="([^"]+)"', html):
        for candidate in srcset.split(","):
            url = candidate.split()[0]
            assert url.startswith("/media/"), url


@pytest.mark.parametrize("kind", ["live", "article"])
def test_pages_show_the_lead_image_with_its_words_and_the_byline(client, newsroom, kind):
    image = picture(client, newsroom.headers, size=(2000, 1000), alt="Lorries at the crossing",
                    caption="The first convoy", credit="Staff photographer")
    inline = picture(client, newsroom.headers, size=(600, 400), alt="A map")
    newsroom.story(title="Convoy", slug="convoy", kind=kind)
    newsroom.entry("convoy", headline="Convoy" if kind == "article" else "Pictured", image=image["id"],
                   byline="Staff reporter", body_html=f'<p>See <img src="{inline["url"]}" alt="A map"></p>')
    if kind == "live":
        newsroom.entry("convoy", headline="Unsigned")
    html = client.get("/stories/convoy").get_data(as_text=True)
    local_only(html)
    pid = image["id"]
    figure = re.search(r'<figure class="lead-image">(.*?)</figure>', html, re.S).group(1)
    img = re.search(r"<img[^>]*>", figure).group(0)
    assert f'src="/media/{pid}/1600.jpg"' in img
    assert f'srcset="/media/{pid}/480.jpg 480w, /media/{pid}/960.jpg 960w, /media/{pid}/1600.jpg 1600w"' in img
    assert 'sizes="(max-width: 40rem) 100vw, 40rem"' in img and 'width="1600" height="800"' in img
    assert 'alt="Lorries at the crossing"' in img and 'loading="lazy"' in img and 'decoding="async"' in img
    caption = re.sub(r"<[^>]+>|\s+", " ", re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S).group(1))
    assert " ".join(caption.split()) == "The first convoy · Staff photographer"
    assert html.count('<p class="byline">By <span class="author">Staff reporter</span></p>') == 1
    assert html.count('class="byline"') == 1  # none made up for the unsigned update
    assert f'<img src="/media/{inline["id"]}/600.jpg" alt="A map" loading="lazy" decoding="async">' in html
    for path in [f"/media/{pid}/480.jpg", f"/media/{pid}/1600.jpg", f"/media/{inline['id']}/600.jpg"]:
        assert client.get(path).status_code == 200


def test_a_members_only_update_shows_no_picture_to_the_public(client, newsroom):
    image = picture(client, newsroom.headers)
    newsroom.story(title="Closed", slug="closed", access="members")
    newsroom.entry("closed", headline="For members", image=image["id"], byline="Staff reporter",
                   body_text="One two three four five six seven eight nine ten. " * 4)
    html = client.get("/stories/closed").get_data(as_text=True)
    assert "For members" in html and image["id"] not in html


# --- the demo -------------------------------------------------------------------------------------

def test_the_demo_shows_a_drawn_lead_image_and_a_sample_byline(client, runner):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    items = client.get("/feeds/latest.json").json["items"]
    pictured = [i for i in items if "image" in i]
    assert pictured and all(i["attachments"][0]["title"].startswith("Illustration:") for i in pictured)
    signed = [i for i in items if "authors" in i]
    assert [a["name"] for i in signed for a in i["authors"]] == ["Staff reporter"]
    data = client.get(pictured[0]["image"].removeprefix(SITE)).data
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and not img.getexif() and "icc_profile" not in img.info
    # Loaded twice, nothing more is added: not even a picture.
    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    assert client.get("/feeds/latest.json").json["items"] == items
