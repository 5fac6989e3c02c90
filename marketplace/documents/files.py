"""What an uploaded file really is, read from its bytes (never from its name or the browser's
declared type), and a safe name to download it under."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import zipfile
from typing import BinaryIO

from flask_babel import gettext as _

from marketplace.documents.models import EXTENSIONS, MAX_FILENAME, DocumentType
from marketplace.errors import DomainError

_ODF_MIMETYPE = DocumentType.ODT.value.encode()


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            _(
                "Le fichier dépasse %(size)d Mo : choisissez un fichier plus léger.",
                size=max(1, max_bytes // (1024 * 1024)),
            ),
            field="file",
        )
    if not data:
        raise DomainError(_("Le fichier est vide."), field="file")
    return data


def sniff(data: bytes) -> DocumentType:
    """The document's type, or a DomainError naming the accepted ones."""
    kind = _sniffed(data)
    if kind is None:
        raise DomainError(
            _(
                "Ce type de fichier n'est pas accepté : envoyez un PDF, une image PNG ou JPEG, "
                "ou un texte ODT ou DOCX."
            ),
            field="file",
        )
    return kind


def _sniffed(data: bytes) -> DocumentType | None:
    if data.startswith(b"%PDF-"):
        return DocumentType.PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentType.PNG if _image_opens(data, "PNG") else None
    if data.startswith(b"\xff\xd8\xff"):
        return DocumentType.JPEG if _image_opens(data, "JPEG", "MPO") else None
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return None


def _image_opens(data: bytes, *formats: str) -> bool:
    from PIL import Image, UnidentifiedImageError  # on first upload (see test_lazy_imports)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                return image.format in formats
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False


def _office(data: bytes) -> DocumentType | None:
    """An OpenDocument text (its first entry is `mimetype`, stored) or a Word document (its
    parts listed by [Content_Types].xml); nothing is extracted but a few bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100 and archive.read(info).strip() == _ODF_MIMETYPE:
                    return DocumentType.ODT
                return None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DocumentType.DOCX
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None


def safe_filename(original: str, kind: DocumentType, title: str) -> str:
    """ASCII letters, digits, dashes and dots, with the extension of what the file is."""
    stem = (original or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    stem = stem or title
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-._")[: MAX_FILENAME - 10]
    return f"{stem or 'document'}.{EXTENSIONS[kind]}"
