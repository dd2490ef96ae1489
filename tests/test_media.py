"""Pictures, safely: uploads are re-encoded with no metadata, turned upright, kept in a few widths in the
database, served immutable from any host, and anything broken, huge or foreign is a 4xx with a reason."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import warnings
import zlib
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from conftest import SITE, TEST_DB_URL, close_app, make_config
from test_edge import edge, fetch, until_hit  # noqa: F401  (edge: the nginx-in-front-of-gunicorn fixture)
from syndicate import create_app
from syndicate.extensions import db
from syndicate.models import ImageRendition

SERIAL = "SN-77X1Z9-SERIAL"
MAKE, MODEL = "SpyPhoneCorp", "Model-X9-Field"
COMMENT = "comment: shot behind the checkpoint"
THUMB_SECRET = "THUMBNAIL-UNCROPPED-SECRET"
IPTC_BYLINE = "IPTC-BYLINE-SECRET-NAME"
XMP_SECRET = "XMP-CREATOR-SECRET"
LATITUDE = ((41, 1), (42, 1), (3012, 100))
LONGITUDE = ((44, 1), (47, 1), (1234, 100))
# Every string a cleaned file must not hold, in any size, stored or served.
FORBIDDEN = [SERIAL, MAKE, MODEL, COMMENT, THUMB_SECRET, IPTC_BYLINE, XMP_SECRET, "Exif", "http://ns.adobe.com/xap",
             "xmpmeta", "Photoshop", "8BIM", "GPS", "ICC_PROFILE", "acsp"]
RED, BLUE = (230, 20, 20), (20, 40, 220)


# --- hostile files, built here with Pillow ---------------------------------------------------------

def _rationals(triple, little=True) -> list[bytes]:
    fmt = "<II" if little else ">II"
    return [struct.pack(fmt, n, d) for n, d in triple]


def hostile_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = MAKE
    exif[0x0110] = MODEL
    exif.get_ifd(0x8769)[0xA431] = SERIAL  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", tuple(Fraction(n, d) for n, d in LATITUDE)
    gps[3], gps[4] = "E", tuple(Fraction(n, d) for n, d in LONGITUDE)
    return exif


def with_thumbnail(exif_bytes: bytes) -> bytes:
    """EXIF with an IFD1 thumbnail (a JPEG carrying its own secret), as cameras write it."""
    thumb = io.BytesIO()
    Image.new("RGB", (16, 12), RED).save(thumb, "JPEG", comment=THUMB_SECRET.encode())
    thumb = thumb.getvalue()
    assert exif_bytes[:6] == b"Exif\x00\x00"
    tiff = bytearray(exif_bytes[6:])
    order = "<" if tiff[:2] == b"II" else ">"
    count = struct.unpack_from(order + "H", tiff, 8)[0]
    next_at = 8 + 2 + 12 * count
    if len(tiff) % 2:
        tiff += b"\x00"
    ifd1 = len(tiff)
    struct.pack_into(order + "I", tiff, next_at, ifd1)
    data_at = ifd1 + 2 + 2 * 12 + 4
    tiff += struct.pack(order + "H", 2)
    tiff += struct.pack(order + "HHII", 0x0201, 4, 1, data_at)
    tiff += struct.pack(order + "HHII", 0x0202, 4, 1, len(thumb))
    tiff += struct.pack(order + "I", 0) + thumb
    return b"Exif\x00\x00" + bytes(tiff)


def iptc_segment() -> bytes:
    """An APP13 Photoshop segment holding an IPTC by-line (record 2, dataset 80)."""
    record = b"\x1c\x02\x50" + struct.pack(">H", len(IPTC_BYLINE)) + IPTC_BYLINE.encode()
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record)) + record
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def xmp_packet() -> bytes:
    return (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
            b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="41,42.502N" '
            b'exif:GPSLongitude="44,47.205E"><dc:creator>' + XMP_SECRET.encode()
            + b'</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def marked(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Blue, with a red block in the stored top-left corner: where it ends up shows how the image was turned."""
    img = Image.new(mode, (width, height), BLUE)
    img.paste(RED, (0, 0, width // 5, height // 5))
    return img


def hostile_jpeg(width=2000, height=1200, orientation=6) -> bytes:
    out = io.BytesIO()
    marked(width, height).save(out, "JPEG", quality=90, exif=with_thumbnail(hostile_exif(orientation).tobytes()),
                               comment=COMMENT.encode(), xmp=xmp_packet(), icc_profile=srgb_icc())
    data = out.getvalue()
    return data[:2] + iptc_segment() + data[2:]


def hostile_png(alpha=False) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", COMMENT)
    info.add_text("Author", IPTC_BYLINE)
    info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    img = marked(1200, 800, "RGBA" if alpha else "RGB")
    if alpha:
        img.paste((0, 0, 0, 0), (900, 600, 1200, 800))
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info, exif=hostile_exif(1).tobytes(), icc_profile=srgb_icc())
    return out.getvalue()


def hostile_webp() -> bytes:
    out = io.BytesIO()
    marked(1000, 700).save(out, "WEBP", exif=hostile_exif(1).tobytes(), xmp=xmp_packet(), icc_profile=srgb_icc())
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit PNG of `width`×`height` zeros: small on disk, huge once decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", compressed) + chunk(b"IEND", b""))


def encoded(fmt: str, size=(40, 30), **params) -> bytes:
    out = io.BytesIO()
    marked(*size).save(out, fmt, **params)
    return out.getvalue()


# --- the checks -----------------------------------------------------------------------------------

def jpeg_markers(data: bytes) -> list[int]:
    """The JPEG segment markers before the image data."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: metadata cannot follow in a file we wrote
            return markers
        at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
    return markers


def assert_clean(data: bytes) -> Image.Image:
    """Nothing but pixels: Pillow finds no metadata, and none of the secrets is anywhere in the bytes."""
    img = Image.open(io.BytesIO(data))
    img.load()
    assert not set(img.info) & {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "photoshop", "mp",
                                "adobe", "Comment", "Author", "mpinfo"}, img.info
    assert len(img.getexif()) == 0
    for secret in FORBIDDEN:
        assert secret.encode() not in data, secret
    for value in LATITUDE + LONGITUDE:
        for packed in _rationals((value,), True) + _rationals((value,), False):
            assert packed not in data
    if img.format == "JPEG":
        # Only JFIF's APP0 and the image's own tables: no APP1 (EXIF, XMP), APP2 (ICC, MPF),
        # APP13 (IPTC), COM (comments) or any other application segment.
        assert [m for m in jpeg_markers(data) if 0xE1 <= m <= 0xEF or m == 0xFE] == []
        assert all(name == "APP0" for name, _ in img.applist)
    elif img.format == "WEBP":
        for chunk in (b"EXIF", b"XMP ", b"ICCP"):
            assert chunk not in data
    else:
        pytest.fail(f"unexpected stored format {img.format}")
    return img


def upload(client, headers, data: bytes | None, filename="photo.jpg", **fields):
    form = {"alt": "A street after the shelling", **fields}
    form = {k: v for k, v in form.items() if v is not None}
    if data is not None:
        form["file"] = FileStorage(io.BytesIO(data), filename)
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(form)
    return client.post("/api/media", data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def served(client, body: dict) -> dict[str, bytes]:
    """Every size the upload's srcset names, fetched through the site; the widest is the url."""
    urls = [part.strip().split(" ")[0] for part in body["srcset"].split(",")]
    assert body["url"] == urls[-1]
    out = {}
    for url in urls:
        assert url.startswith(SITE + "/media/")
        response = client.get(url[len(SITE):])
        assert response.status_code == 200, url
        out[url] = response.data
    return out


def stored(app) -> list[bytes]:
    with app.app_context():
        return list(db.session.scalars(select(ImageRendition.data)))


def colour_at(img: Image.Image, fx: float, fy: float) -> str:
    r, g, b = img.convert("RGB").getpixel((int(fx * (img.width - 1)), int(fy * (img.height - 1))))
    return "red" if r > 150 and b < 100 else "blue" if b > 150 and r < 100 else f"{(r, g, b)}"


# --- uploads that work ----------------------------------------------------------------------------

def test_a_hostile_jpeg_loses_every_trace_and_is_turned_upright(app, client, newsroom):
    original = hostile_jpeg()
    # The test file really carries what it should (so a clean result means something).
    probe = Image.open(io.BytesIO(original))
    assert probe.getexif()[0x0112] == 6 and probe.getexif().get_ifd(0x8825)
    assert probe.info.get("comment") == COMMENT.encode() and "xmp" in probe.info and "icc_profile" in probe.info
    assert probe.getexif().get_ifd(0x8769)[0xA431] == SERIAL
    for secret in (SERIAL, THUMB_SECRET, IPTC_BYLINE, XMP_SECRET, COMMENT):
        assert secret.encode() in original

    response = upload(client, newsroom.headers, original, caption="Kyiv Street", credit="Staff")
    assert response.status_code == 201, response.json
    body = response.json
    # Stored 2000×1200 with orientation 6: upright it is 1200 wide, 2000 high.
    assert (body["width"], body["height"]) == (1200, 2000)
    assert body["alt"] == "A street after the shelling" and body["caption"] == "Kyiv Street"
    assert body["url"] == f"{SITE}/media/{body['id']}/1200.jpg"
    assert response.headers["Location"] == body["url"]

    sizes = served(client, body)
    assert len(sizes) == 3
    for data in list(sizes.values()) + stored(app):
        img = assert_clean(data)
        assert img.height > img.width
        # The red corner was the stored top-left; a quarter turn clockwise puts it top-right.
        assert colour_at(img, 0.97, 0.03) == "red"
        assert colour_at(img, 0.03, 0.03) == "blue" and colour_at(img, 0.03, 0.97) == "blue"
    widths = sorted(Image.open(io.BytesIO(d)).width for d in sizes.values())
    assert widths == [480, 960, 1200]


@pytest.mark.parametrize("orientation, corner", [(1, (0.03, 0.03)), (3, (0.97, 0.97)), (8, (0.03, 0.97))])
def test_other_orientations_land_the_corner_where_it_belongs(client, newsroom, orientation, corner):
    response = upload(client, newsroom.headers, hostile_jpeg(800, 600, orientation))
    assert response.status_code == 201, response.json
    img = assert_clean(client.get(response.json["url"][len(SITE):]).data)
    assert img.size == ((600, 800) if orientation == 8 else (800, 600))
    assert colour_at(img, *corner) == "red"


def test_a_large_photo_is_kept_in_srcset_widths_never_upscaled(client, newsroom):
    response = upload(client, newsroom.headers, encoded("JPEG", (4000, 3000)))
    assert response.status_code == 201
    body = response.json
    assert (body["width"], body["height"]) == (1600, 1200)
    assert [int(part.rsplit(" ", 1)[1][:-1]) for part in body["srcset"].split(", ")] == [480, 960, 1600]
    small = upload(client, newsroom.headers, encoded("JPEG", (300, 200))).json
    assert (small["width"], small["height"]) == (300, 200) and small["srcset"].count(",") == 0


@pytest.mark.parametrize("alpha", [False, True])
def test_a_png_with_text_chunks_exif_and_xmp_comes_out_clean(app, client, newsroom, alpha):
    original = hostile_png(alpha)
    assert IPTC_BYLINE.encode() in original and b"tEXt" in original and b"eXIf" in original
    response = upload(client, newsroom.headers, original, filename="chart.png")
    assert response.status_code == 201, response.json
    for data in list(served(client, response.json).values()) + stored(app):
        img = assert_clean(data)
        # Real transparency survives as WebP; an opaque picture becomes a JPEG.
        assert img.format == ("WEBP" if alpha else "JPEG")
        if alpha:
            assert img.mode == "RGBA" and img.getchannel("A").getextrema()[0] == 0
    assert response.json["url"].endswith(".webp" if alpha else ".jpg")


def test_a_webp_with_exif_and_xmp_comes_out_clean(app, client, newsroom):
    original = hostile_webp()
    assert b"EXIF" in original and SERIAL.encode() in original
    response = upload(client, newsroom.headers, original, filename="photo.webp")
    assert response.status_code == 201, response.json
    for data in list(served(client, response.json).values()) + stored(app):
        assert colour_at(assert_clean(data), 0.03, 0.03) == "red"


def test_a_heic_from_a_phone_is_taken_and_cleaned(app, client, newsroom):
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("libheif has no HEIC encoder here")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    marked(1000, 800).save(out, "HEIF", exif=hostile_exif(1).tobytes(), xmp=xmp_packet())
    original = out.getvalue()
    assert original[4:12] == b"ftypheic" and SERIAL.encode() in original
    response = upload(client, newsroom.headers, original, filename="IMG_0001.HEIC")
    assert response.status_code == 201, response.json
    assert (response.json["width"], response.json["height"]) == (1000, 800)
    for data in list(served(client, response.json).values()) + stored(app):
        assert colour_at(assert_clean(data), 0.03, 0.03) == "red"


# --- serving --------------------------------------------------------------------------------------

def test_sizes_are_served_immutable_for_a_year_with_an_etag(client, newsroom):
    body = upload(client, newsroom.headers, encoded("JPEG", (1000, 600))).json
    path = body["url"][len(SITE):]
    response = client.get(path)  # no credentials: readers fetch images as anyone
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    etag = response.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.head(path).headers["Content-Length"] == str(len(response.data))


@pytest.mark.parametrize("suffix", ["/999.jpg", "/480.webp", "/480.png", "/99999999999999999999999.jpg",
                                    "/-1.jpg", "/480"])
def test_sizes_that_do_not_exist_are_404_and_never_cached_long(client, newsroom, suffix):
    body = upload(client, newsroom.headers, encoded("JPEG", (1000, 600))).json
    response = client.get(f"/media/{body['id']}{suffix}")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("public_id", ["nope", "%00", "a" * 200, "%C3%A9t%C3%A9"])
def test_unknown_images_are_404(client, public_id):
    assert client.get(f"/media/{public_id}/480.jpg").status_code == 404


@pytest.mark.skipif(not TEST_DB_URL, reason="two hosts share a PostgreSQL database")
def test_two_hosts_over_one_database_serve_the_same_bytes(database_url, tmp_path, editor_token):
    one = create_app(make_config(database_url), instance_path=str(tmp_path / "one"))
    other = create_app(make_config(database_url), instance_path=str(tmp_path / "other"))
    try:
        headers = {"Authorization": f"Bearer {editor_token}"}
        body = upload(one.test_client(), headers, hostile_jpeg()).json
        for url in [part.split(" ")[0] for part in body["srcset"].split(", ")]:
            path = url[len(SITE):]
            a, b = one.test_client().get(path), other.test_client().get(path)
            assert a.status_code == b.status_code == 200
            assert a.data == b.data and a.headers["ETag"] == b.headers["ETag"]
    finally:
        close_app(one)
        close_app(other)


# --- what is refused ------------------------------------------------------------------------------

def refusal(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, (response.status_code, response.data[:300])
    error = response.json["error"]
    if code:
        assert error["code"] == code
    assert error["message"]
    return error["message"]


@pytest.mark.parametrize("data, filename, status", [
    (b"\x93\x17 not an image at all" * 40, "photo.jpg", 415),
    (b"Dear editor,\nthis is a letter, not a picture.\n", "x.jpg", 415),
    (encoded("GIF"), "anim.gif", 415),
    (encoded("TIFF"), "scan.tiff", 415),
    (encoded("BMP"), "paint.bmp", 415),
    (hostile_jpeg(800, 600)[:4000], "cut.jpg", 422),
    (encoded("PNG", (400, 300))[:200], "cut.png", 422),
    (encoded("PNG", (400, 300))[:60] + b"\x00garbage" * 200, "corrupt.png", 422),
])
def test_broken_and_foreign_files_are_refused_with_a_reason(app, client, newsroom, data, filename, status):
    message = refusal(upload(client, newsroom.headers, data, filename=filename), status)
    assert "JPEG, PNG, WebP or HEIC" in message if status == 415 else "damaged" in message
    assert stored(app) == []


@pytest.mark.parametrize("size", [(30000, 30000), (12000, 10000), (8000, 6000)])
def test_decompression_bombs_are_refused_from_the_header(app, client, newsroom, size):
    """Beyond Pillow's hard limit, in the band where Pillow only warns, and past our own 40 MP."""
    bomb = png_bomb(*size)
    assert len(bomb) < 1_000_000
    message = refusal(upload(client, newsroom.headers, bomb, filename="bomb.png"), 413, "too_large")
    assert "pixels" in message
    assert stored(app) == []


def test_decoding_a_bomb_or_a_large_photo_keeps_memory_bounded(tmp_path):
    """Measured in a fresh process: a refused bomb allocates nothing to speak of, and a 39 MP JPEG is
    decoded at a reduced size (its full decode would take 117 MB)."""
    photo = tmp_path / "big.jpg"
    Image.new("RGB", (7200, 5400), BLUE).save(photo, "JPEG", quality=50)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(30000, 30000))
    script = (
        "import sys\n"
        "from syndicate.media.process import process, Unusable, register_heif\n"
        "def status(key):\n"
        "    line = [l for l in open('/proc/self/status') if l.startswith(key)][0]\n"
        "    return int(line.split()[1]) // 1024\n"
        "register_heif()\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "before = status('VmRSS')\n"
        "open('/proc/self/clear_refs', 'w').write('5')  # the peak (VmHWM) starts again from here\n"
        "try:\n    kept = [r.width for r in process(data, 40_000_000)]\n"
        "except Unusable as exc:\n    kept = exc.status\n"
        "print(kept, status('VmHWM') - before)\n"
    )
    results = {}
    for path in (photo, bomb):
        out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120,
                             env={"PYTHONPATH": str(Path(__file__).parents[1]), "PATH": "/usr/bin:/bin"})
        assert out.returncode == 0, out.stderr
        kept, grown_mb = out.stdout.strip().rsplit(" ", 1)
        results[path.name] = (kept, int(grown_mb))
    print("memory growth (MB):", results)
    assert results["bomb.png"][0] == "413" and results["bomb.png"][1] < 20, results
    assert results["big.jpg"][0] == "[480, 960, 1600]" and results["big.jpg"][1] < 60, results


def test_an_upload_over_the_size_limit_is_413(app, client, newsroom):
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (25 * 1024 * 1024)
    message = refusal(upload(client, newsroom.headers, big), 413, "too_large")
    assert "20 MB" in message
    assert stored(app) == []


def test_the_size_limit_is_configurable(app, client, newsroom):
    app.config["MEDIA_MAX_BYTES"] = 50_000
    refusal(upload(client, newsroom.headers, encoded("PNG", (600, 600), compress_level=0)), 413, "too_large")
    assert upload(client, newsroom.headers, encoded("JPEG", (600, 600))).status_code == 201


def test_alt_text_is_required(app, client, newsroom):
    response = upload(client, newsroom.headers, encoded("JPEG"), alt=None)
    refusal(response, 422, "invalid")
    assert response.json["error"]["fields"]["alt"] == "is required"
    response = upload(client, newsroom.headers, encoded("JPEG"), alt="   ")
    assert response.status_code == 422 and "alt" in response.json["error"]["fields"]
    assert stored(app) == []


def test_no_file_or_an_empty_one_is_422_and_a_json_body_is_415(client, newsroom):
    response = upload(client, newsroom.headers, None)
    refusal(response, 422)
    assert "file" in response.json["error"]["fields"]
    response = upload(client, newsroom.headers, b"")
    assert response.status_code == 422 and "file" in response.json["error"]["fields"]
    response = client.post("/api/media", json={"alt": "x"}, headers=newsroom.headers)
    refusal(response, 415, "unsupported_media_type")


def test_uploads_need_an_editor_before_the_body_is_read(client, newsroom):
    refusal(upload(client, {}, encoded("JPEG")), 401, "unauthorized")
    refusal(upload(client, {"Authorization": "Bearer nope"}, encoded("JPEG")), 401)
    # A large body from nobody is turned away as "who are you", not read first.
    big = b"\x00" * (5 * 1024 * 1024)
    refusal(upload(client, {}, big), 401)


def test_uploads_share_the_api_rate_limit(app, client, newsroom):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    assert client.post("/api/stories", json={}, headers=newsroom.headers).status_code == 422
    assert upload(client, newsroom.headers, encoded("JPEG")).status_code == 201
    refusal(upload(client, newsroom.headers, encoded("JPEG")), 429)


def test_the_stored_row_says_who_uploaded_it_and_its_words(app, client, newsroom):
    from syndicate.media import find, urls
    from syndicate.models import Editor

    body = upload(client, newsroom.headers, encoded("JPEG", (1000, 500)), alt="  Smoke over the port ",
                  caption="After the strike", credit="Photo: staff").json
    with app.app_context():
        image = find(body["id"])
        assert image.alt == "Smoke over the port" and image.caption == "After the strike"
        assert image.credit == "Photo: staff"
        assert db.session.get(Editor, image.uploaded_by).name == "desk"
        with app.test_request_context():
            shown = urls(image)
        assert shown["src"] == body["url"] and shown["srcset"] == body["srcset"]
        assert (shown["width"], shown["height"], shown["type"]) == (1000, 500, "image/jpeg")
        assert shown["length"] == len(client.get(body["url"][len(SITE):]).data)
        assert find("nope") is None and find("\x00") is None
    assert json.loads(json.dumps(body))["id"] == body["id"]


def test_pillows_own_bomb_warning_is_an_error_even_with_a_generous_cap(app, client, newsroom):
    """With the cap above Pillow's MAX_IMAGE_PIXELS, its warning (not an error below twice that) refuses too."""
    app.config["MEDIA_MAX_PIXELS"] = 500_000_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as in production, where nothing turns warnings into errors
        response = upload(client, newsroom.headers, png_bomb(12000, 10000), filename="bomb.png")
    message = refusal(response, 413)
    assert "pixels" in message


# --- through the edge (deploy/nginx.conf in front of gunicorn) ------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="nginx is not installed")
def test_a_photo_goes_up_through_the_edge_and_is_kept_there_for_a_year(edge, newsroom):
    photo = io.BytesIO()
    Image.frombytes("RGB", (1400, 1000), bytes(random_bytes(1400 * 1000 * 3))).save(photo, "JPEG", quality=95)
    assert len(photo.getvalue()) > 1024 * 1024  # over the limit every other body has at the edge
    boundary, body = encode_multipart({"alt": "Noise", "file": FileStorage(io.BytesIO(photo.getvalue()), "n.jpg")})
    answer = fetch(edge.url, "/api/media", method="POST", body=body,
                   headers={**newsroom.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status == 201, answer.body[:300]
    url = json.loads(answer.body)["url"]
    assert url.startswith(edge.url + "/media/")
    path = url[len(edge.url):]

    first = edge.get(path)
    assert first.status == 200 and first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    hit = until_hit(edge, path)
    assert hit.body == first.body and hit.headers["Cache-Control"] == first.headers["Cache-Control"]
    for _ in range(5):
        assert edge.get(path).cache == "HIT"
    assert edge.origin.requests_for(path) == 1  # the origin served it once; the edge keeps it


def random_bytes(n: int) -> bytes:
    import random

    return random.Random(16).randbytes(n)


@pytest.mark.parametrize("name, value", [("MEDIA_MAX_BYTES", "20MB"), ("MEDIA_MAX_PIXELS", 0)])
def test_media_limits_must_be_positive_integers(tmp_path, name, value):
    from syndicate.config import ConfigError

    with pytest.raises(ConfigError, match=f"SYNDICATE_{name}"):
        create_app(make_config(f"sqlite:///{tmp_path}/x.sqlite", **{name: value}), instance_path=str(tmp_path / "i"))


def _seeds() -> list[bytes]:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    seeds = [encoded("JPEG", (64, 48)), encoded("PNG", (64, 48)), encoded("WEBP", (64, 48)),
             hostile_jpeg(120, 90), hostile_png()]
    if pillow_heif.libheif_info().get("HEIF"):
        seeds.append(encoded("HEIF", (64, 48)))
    return seeds


def test_damaged_files_are_always_a_4xx_never_an_exception():
    """Bytes changed, cut or repeated anywhere in each kind of file: a size list or a reasoned 4xx."""
    from hypothesis import HealthCheck, given, settings, strategies as st

    from syndicate.media.process import Unusable, process

    seeds = _seeds()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(range(len(seeds))), st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1,
           max_size=8)), min_size=1, max_size=4), st.integers(0, 10**6))
    def damaged(which, changes, cut):
        data = bytearray(seeds[which])
        for at, junk in changes:
            at %= len(data)
            data[at:at + len(junk)] = junk
        data = bytes(data[:max(1, cut % (len(data) + 1))])
        try:
            kept = process(data, 40_000_000)
        except Unusable as exc:
            assert 400 <= exc.status < 500 and exc.reason
        else:
            assert kept and all(r.data for r in kept)

    damaged()
