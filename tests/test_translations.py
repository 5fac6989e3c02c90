"""The English catalogue must translate every French message of the code and templates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from marketplace import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "marketplace" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _extract(tmp_path: Path):
    template = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603 - a fixed command on the project's own files
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(template),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        return read_po(handle)


def test_every_message_has_an_english_translation(tmp_path):
    extracted = _extract(tmp_path)
    with CATALOGUE.open("rb") as handle:
        english = read_po(handle)

    missing = [
        message.id
        for message in extracted
        if message.id
        and (
            english.get(message.id) is None
            or not english.get(message.id).string
            or (isinstance(message.id, tuple) and not all(english.get(message.id).string))
        )
    ]
    fuzzy = [message.id for message in english if message.id and message.fuzzy]

    assert not missing, f"{len(missing)} messages without English translation: {missing[:20]}"
    assert not fuzzy, f"fuzzy translations to review: {fuzzy[:20]}"


def test_compiled_catalogue_is_up_to_date():
    compiled = CATALOGUE.with_suffix(".mo")
    assert compiled.exists(), "run `make translations` (pybabel compile) first"
    assert compiled.stat().st_mtime >= CATALOGUE.stat().st_mtime


def test_plurals_are_real_plural_forms(tmp_path):
    """« 2 paniers », not « 2 panier(s) »: a count's words agree with it (ngettext)."""
    extracted = _extract(tmp_path)
    bracketed = sorted(
        text
        for message in extracted
        if message.id
        for text in (message.id if isinstance(message.id, tuple) else (message.id,))
        if "(s)" in text or "(es)" in text or "(x)" in text
    )
    assert bracketed == []
