"""The person's fiche catalogues: every message translated in every language, placeholders
kept, the compiled ``.mo`` (committed, so a clean clone serves them) in step with its ``.po``."""

from __future__ import annotations

import re

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.i18n import TRANSLATIONS
from app.pages import handover, person_sheet

CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_one_catalogue_per_language_of_the_fiche():
    assert {path.parts[-3] for path in CATALOGUES} == set(handover.LANGUAGES)
    assert len(handover.LANGUAGES) >= 8


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_no_message_missing_or_untranslated(path):
    with path.open("rb") as f:
        catalogue = read_po(f)
    messages = {m.id: m for m in catalogue if m.id}
    assert set(messages) == set(person_sheet.TEXTS.values()), "pybabel update à relancer"
    for msgid, message in messages.items():
        assert message.string.strip(), msgid  # (« Site internet » is Romanian too)
        assert not message.fuzzy, msgid
        assert PLACEHOLDER.findall(message.string) == PLACEHOLDER.findall(msgid), msgid


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_compiled_catalogue_is_in_step(path):
    with path.open("rb") as f:
        source = {m.id: m.string for m in read_po(f) if m.id}
    with path.with_suffix(".mo").open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == source, "make translations à relancer"
