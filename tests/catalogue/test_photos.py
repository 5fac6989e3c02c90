"""Product photos: checked by opening them, re-encoded without metadata, served with caching."""

from __future__ import annotations

import io
import os

from PIL import Image

from marketplace.catalogue.models import ProductPhoto
from marketplace.extensions import db
from tests import factories
from tests.helpers import login_id


def _image_bytes(size=(2400, 1200), fmt="JPEG", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 90, 30)).save(buffer, fmt, **save)
    return buffer.getvalue()


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (45.0, 45.0, 0.0)}  # GPS info
    return _image_bytes(exif=exif.tobytes())


def _post(client, farm, product, data: bytes, filename="photo.jpg"):
    return client.post(
        f"{farm.catalogue_url}/{product.id}",
        data={
            "name": product.name,
            "category": product.category,
            "unit": product.unit,
            "price": "3,20",
            "photo": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def test_a_photo_is_reencoded_small_and_without_metadata(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    response = _post(client, farm, product, _jpeg_with_gps())
    assert response.status_code == 302
    photo = db.session.get(ProductPhoto, product.id)
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 1200, 600)
    with Image.open(io.BytesIO(photo.data)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (1200, 600)
        assert len(stored.getexif()) == 0


def test_a_png_with_transparency_becomes_a_jpeg(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(buffer, "PNG")
    assert _post(client, farm, product, buffer.getvalue(), "logo.png").status_code == 302
    photo = db.session.get(ProductPhoto, product.id)
    with Image.open(io.BytesIO(photo.data)) as stored:
        assert stored.getpixel((10, 10)) == (255, 255, 255)  # white, not black


def test_a_file_that_is_not_an_image_is_refused(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer, name="Miel")
    db.session.commit()
    response = _post(client, farm, product, b"#!/bin/sh\necho hello\n" * 50, "miel.jpg")
    assert response.status_code == 200
    assert "n&#39;est pas une image lisible" in response.text
    assert db.session.get(ProductPhoto, product.id) is None


def test_a_photo_over_3_mb_is_refused_with_a_clear_message(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer, name="Miel")
    db.session.commit()
    response = _post(client, farm, product, os.urandom(3 * 1024 * 1024 + 10))
    assert "La photo dépasse 3 Mo" in response.text
    assert db.session.get(ProductPhoto, product.id) is None


def test_a_huge_upload_gives_the_form_back_not_a_bare_413(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer, name="Miel")
    db.session.commit()
    response = _post(client, farm, product, b"\0" * (20 * 1024 * 1024))
    assert response.status_code == 413
    assert "La photo dépasse 3 Mo" in response.text
    assert "Rien n&#39;a été enregistré." in response.text
    assert 'name="name"' in response.text and "Miel" in response.text  # the product form
    assert db.session.get(ProductPhoto, product.id) is None
    # Same on the new-product form.
    response = client.post(
        f"{farm.catalogue_url}/nouveau",
        data={"name": "Pain", "photo": (io.BytesIO(b"\0" * (20 * 1024 * 1024)), "pain.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "La photo dépasse 3 Mo" in response.text


def test_a_huge_upload_by_a_stranger_gets_no_form(client, farm, user_with_role):
    product = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    user_with_role("member", farm.group)
    response = _post(client, farm, product, b"\0" * (20 * 1024 * 1024))
    # Refused before the body is read (403), or by the size limit when CSRF reads it first.
    assert response.status_code in (403, 413)
    assert 'name="name"' not in response.text


def test_photos_are_public_and_cached(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    _post(client, farm, product, _image_bytes((400, 300)))
    listing = client.get(farm.catalogue_url).text
    assert f"/produits/{product.id}/photo?v=" in listing
    client.post("/compte/deconnexion")
    with client.session_transaction() as session:
        session.clear()
    response = client.get(f"/produits/{product.id}/photo")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=604800" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get(f"/produits/{product.id}/photo", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert client.get("/produits/999999/photo").status_code == 404


def test_the_photo_can_be_removed(client, farm, staff):
    product = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    _post(client, farm, product, _image_bytes((400, 300)))
    response = client.post(
        f"{farm.catalogue_url}/{product.id}",
        data={
            "name": product.name,
            "category": product.category,
            "unit": product.unit,
            "price": "3,20",
            "remove_photo": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProductPhoto, product.id) is None


def test_with_csrf_on_a_huge_upload_still_gives_the_form(make_app, farm, staff):
    """CSRF protection reads the body before the view: the limit must already apply there."""
    product = factories.ProductFactory(producer=farm.producer, name="Miel")
    db.session.commit()
    secured = make_app(WTF_CSRF_ENABLED=True)
    client = secured.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(staff)
        session["_fresh"] = True
    response = _post(client, farm, product, b"\0" * (20 * 1024 * 1024))
    assert response.status_code == 413
    assert "La photo dépasse 3 Mo" in response.text
