"""Images in the database, which every host reads: saving a processed upload, finding it, its URLs."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from ..extensions import db
from ..models import Image, ImageRendition
from ..urls import absolute, site_root
from ..writes import content_write
from .process import Rendition

EXTENSIONS = {"jpeg": "jpg", "webp": "webp"}
FORMATS = {ext: kind for kind, ext in EXTENSIONS.items()}
MAX_WIDTH = 100_000  # past any size kept, and within every database's integer


def save(renditions: list[Rendition], *, alt: str, caption: str | None, credit: str | None,
         editor_id: int | None) -> Image:
    """Store an image's sizes in one short write; decoding is done before, outside any transaction."""
    widest = renditions[-1]
    image = Image(public_id=secrets.token_hex(12), alt=alt, caption=caption, credit=credit,
                  width=widest.width, height=widest.height, uploaded_by=editor_id)
    image.renditions = [
        ImageRendition(width=r.width, height=r.height, format=r.format, size=len(r.data),
                       digest=hashlib.sha256(r.data).hexdigest(), data=r.data)
        for r in renditions
    ]
    with content_write():
        db.session.add(image)
    return image


def find(public_id: str) -> Image | None:
    """The image an entry names by its public id, with its sizes (their bytes are not loaded)."""
    if not public_id.isascii() or not public_id.isalnum() or len(public_id) > 32:
        return None  # never ours, and PostgreSQL refuses some of what a client may send
    return db.session.scalar(select(Image).where(Image.public_id == public_id))


def find_rendition(public_id: str, width: int, ext: str) -> ImageRendition | None:
    """One stored size, without its bytes."""
    kind = FORMATS.get(ext)
    if kind is None or not 0 < width <= MAX_WIDTH or not public_id.isascii() or not public_id.isalnum() or len(public_id) > 32:
        return None
    return db.session.scalar(
        select(ImageRendition).join(Image)
        .where(Image.public_id == public_id, ImageRendition.width == width, ImageRendition.format == kind))


def rendition_url(image: Image, rendition: ImageRendition) -> str:
    return absolute("media.rendition", public_id=image.public_id, width=rendition.width,
                    ext=EXTENSIONS[rendition.format])


def urls(image: Image, *, relative: bool = False) -> dict:
    """What an <img> or a feed's enclosure needs: the widest size as src, every size in srcset.

    Feeds need absolute URLs; pages take them root-relative, so they load from whichever
    name the reader reached the site by (the CSP allows only 'self').
    """
    sizes = sorted(image.renditions, key=lambda r: r.width)
    widest = sizes[-1]
    cut = len(site_root()) if relative else 0
    return {
        "src": rendition_url(image, widest)[cut:],
        "srcset": ", ".join(f"{rendition_url(image, r)[cut:]} {r.width}w" for r in sizes),
        "width": widest.width,
        "height": widest.height,
        "type": "image/" + widest.format,
        "length": widest.size,
    }
