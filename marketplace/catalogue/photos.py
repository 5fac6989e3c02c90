"""Product photos: checked by opening them (never trusting the file name or the browser's type),
then re-encoded as a bounded JPEG without the camera's metadata (EXIF, GPS position...)."""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, BinaryIO

from flask_babel import gettext as _

from marketplace.catalogue.models import Product, ProductPhoto
from marketplace.errors import DomainError
from marketplace.extensions import db

MAX_PHOTO_BYTES = 3 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000  # a 40-megapixel camera; more is a decompression bomb
MAX_SIDE = 1200  # pixels: enough for a product card on any screen
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}  # MPO: some phones' JPEGs
JPEG_QUALITY = 82

if TYPE_CHECKING:  # Pillow is imported when a photo is first sent
    from PIL import Image


def _too_big() -> DomainError:
    return DomainError(
        _("La photo dépasse %(size)d Mo : choisissez une image plus légère.", size=3),
        field="photo",
    )


def _not_an_image() -> DomainError:
    return DomainError(
        _("Ce fichier n'est pas une image lisible : envoyez une photo JPEG, PNG ou WebP."),
        field="photo",
    )


def read_limited(stream: BinaryIO) -> bytes:
    """The upload's bytes, refused as soon as it exceeds the limit."""
    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_big()
    if not data:
        raise _not_an_image()
    return data


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """JPEG bytes, width and height of the uploaded image, or a DomainError."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                if source.format not in ACCEPTED_FORMATS:
                    raise _not_an_image()
                width, height = source.size
                if width * height > MAX_SOURCE_PIXELS:
                    raise DomainError(
                        _("Cette image est trop grande (en pixels) : réduisez-la avant l'envoi."),
                        field="photo",
                    )
                image = ImageOps.exif_transpose(source)  # a phone's portrait stays upright
                image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_an_image() from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _not_an_image() from error
    image = _flattened(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    # No exif= argument: nothing of the original metadata is written.
    image.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return output.getvalue(), image.width, image.height


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent parts become white rather than black."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def set_photo(product: Product, stream: BinaryIO) -> ProductPhoto:
    """Replace the product's photo with the uploaded one, checked and re-encoded."""
    data, width, height = reencode(read_limited(stream))
    photo = product.photo
    if photo is None:
        photo = ProductPhoto(product_id=product.id)
        product.photo = photo
    photo.content_type = "image/jpeg"
    photo.data = data
    photo.width = width
    photo.height = height
    db.session.flush()
    return photo


def remove_photo(product: Product) -> None:
    product.photo = None
    db.session.flush()
