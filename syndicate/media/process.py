"""Turning an upload into the sizes we keep: decoded once, bounded, re-encoded from pixels alone.

A photo from the field can say where, when and on which phone it was taken (EXIF,
GPS, XMP, IPTC, maker notes, comments, an embedded thumbnail that may still show
what was cropped away). None of that may reach a reader, so nothing of the upload
is kept but its pixels: they are turned upright, brought to sRGB, copied into a
new image that has never held any metadata, and encoded from that.
"""
from __future__ import annotations

import functools
import io
import struct
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# The widths a browser picks from (srcset); a narrower original is also kept at its own width.
WIDTHS = (480, 960, 1600)
ACCEPTED = ("JPEG", "PNG", "WEBP", "HEIF")
JPEG_QUALITY = 82
WEBP_QUALITY = 80
# EXIF orientations that swap width and height (90° turns, with or without a mirror).
_TURNED = {5, 6, 7, 8}
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Rendition:
    """One re-encoded size of an image."""

    width: int
    height: int
    format: str  # jpeg | webp
    data: bytes

    @property
    def media_type(self) -> str:
        return "image/" + self.format


class Unusable(ValueError):
    """An upload we cannot take, with the HTTP status and a reason an editor can act on."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@functools.cache
def register_heif() -> None:
    """Let Pillow open HEIC (what phones send); only the primary picture, never its thumbnails."""
    from pillow_heif import register_heif_opener

    register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


def process(data: bytes, max_pixels: int) -> list[Rendition]:
    """Decode an upload within `max_pixels` and return its sizes, narrowest first, without any metadata."""
    register_heif()
    try:
        pixels = _decode(data, max_pixels)
    except Unusable:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Unusable(413, "The image has too many pixels to decode safely.") from None
    except UnidentifiedImageError:
        raise Unusable(415, "The file is not a JPEG, PNG, WebP or HEIC image.") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error, Warning):
        # Pillow reports broken and truncated files through any of these, depending on the format (and
        # warns about broken EXIF: a warning that a filter turned into an error means the same).
        raise Unusable(422, "The image is damaged or incomplete and cannot be decoded.") from None
    except MemoryError:
        raise Unusable(413, "The image is too large to decode.") from None
    return [_encode(pixels if width == pixels.width else _resize(pixels, width)) for width in widths(pixels.width)]


def widths(full: int) -> list[int]:
    """The widths kept of an image `full` pixels wide (after the first shrink): never wider than it."""
    return [w for w in WIDTHS if w < full] + [full]


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """The upright, sRGB pixels of an upload, at most WIDTHS[-1] wide, in a new image holding nothing else."""
    img = Image.open(io.BytesIO(data), formats=ACCEPTED)
    width, height = img.size  # from the header: nothing is decoded yet
    if width < 1 or height < 1:
        raise Unusable(422, "The image has no pixels.")
    # Pillow only warns between its own MAX_IMAGE_PIXELS and twice that: its limit caps ours too, so
    # every bomb is refused here without touching the (process-wide, thread-unsafe) warning filters.
    max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if width * height > max_pixels:
        raise Unusable(413, f"The image is {width}×{height} pixels; the limit is "
                            f"{max_pixels / 1_000_000:g} megapixels.")
    orientation = img.getexif().get(_ORIENTATION, 1)
    upright_width = height if orientation in _TURNED else width
    target = min(WIDTHS[-1], upright_width)
    scale = target / upright_width
    if img.format in ("JPEG", "MPO") and scale < 1:
        # JPEG can decode at 1/2, 1/4 or 1/8 of its size: far less memory for a large photo.
        img.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
    img.load()
    img = _to_rgb(img)
    # Shrunk before turning: the same picture as turning first, with less to turn.
    turned = orientation in _TURNED
    upright_width = img.height if turned else img.width
    if upright_width > target:
        k = target / upright_width
        size = (max(1, round(img.width * k)), target) if turned else (target, max(1, round(img.height * k)))
        img = _keep_info(img, img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0))
    ImageOps.exif_transpose(img, in_place=True)
    clean = Image.new(img.mode, img.size)  # a new image: no info, no EXIF, no profile
    clean.paste(img)
    return clean


def _keep_info(source: Image.Image, resized: Image.Image) -> Image.Image:
    """The resized image still needs the source's EXIF for exif_transpose (it is dropped right after)."""
    resized.info = dict(source.info)
    return resized


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB, or RGBA when there is real transparency, in sRGB; an embedded profile is applied, then dropped."""
    info = dict(img.info)
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        img = img.convert("I").point(lambda v: v * (1 / 257)).convert("L")  # 16-bit grey to 8-bit
    elif img.mode == "1":
        img = img.convert("L")
    elif img.mode == "P":
        img = img.convert("RGBA" if "transparency" in info else "RGB")
    alpha = None
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = img.getchannel("A")
        if alpha.getextrema() == (255, 255):
            alpha = None  # fully opaque: a JPEG does
        img = img.convert("RGB" if img.mode in ("RGBA", "RGBa", "PA") else "L")
    profile = info.get("icc_profile")
    rgb = None
    if profile:
        try:
            rgb = ImageCms.profileToProfile(img, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                                            ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            rgb = None  # a profile littlecms cannot use: the pixels are taken as sRGB
    if rgb is None:
        rgb = img if img.mode == "RGB" else img.convert("RGB")
    if alpha is not None:
        rgb.putalpha(alpha)
    rgb.info = info  # EXIF stays until exif_transpose has read the orientation
    return rgb


def _resize(img: Image.Image, width: int) -> Image.Image:
    height = max(1, round(img.height * width / img.width))
    return img.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(img: Image.Image) -> Rendition:
    """JPEG for opaque pictures, WebP where transparency must survive; nothing but pixels is written."""
    out = io.BytesIO()
    if img.mode == "RGBA":
        img.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
        kind = "webp"
    else:
        img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        kind = "jpeg"
    return Rendition(img.width, img.height, kind, out.getvalue())

