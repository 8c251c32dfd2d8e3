"""The message catalogues are complete, compiled and keep their placeholders.

Bokmål and nynorsk must translate every string; English shows the msgids as they
are, so its catalogue stays empty. The compiled ``.mo`` files are committed next
to their sources, so a forgotten ``compilemessages`` must fail here.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["nb", "nn", "en"]
TRANSLATED_LANGUAGES = ["nb", "nn"]

# A named python-format placeholder with its conversion, e.g. %(name)s or %(count)d.
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa]")

Key = tuple[str | None, str, str]  # msgctxt, msgid, msgid_plural


def _po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def _pofile(language: str) -> polib.POFile:
    return polib.pofile(str(_po_path(language)))


def _key(entry: polib.POEntry | polib.MOEntry) -> Key:
    return (entry.msgctxt or None, entry.msgid, entry.msgid_plural or "")


def _translations(entries: list[polib.POEntry] | polib.MOFile) -> dict[Key, tuple[str, ...]]:
    pairs: dict[Key, tuple[str, ...]] = {}
    for entry in entries:
        if not entry.msgid:  # the header
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural))
        else:
            forms = (entry.msgstr,)
        pairs[_key(entry)] = forms
    return pairs


def _msgstrs(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_string_is_translated(language: str) -> None:
    assert [entry.msgid for entry in _pofile(language).untranslated_entries()] == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_no_translation_is_fuzzy(language: str) -> None:
    catalogue = _pofile(language)
    assert not catalogue.metadata_is_fuzzy
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    compiled = _po_path(language).with_suffix(".mo")
    assert compiled.exists(), f"{compiled} is missing: run compilemessages"
    source = _translations(_pofile(language).translated_entries())
    assert _translations(polib.mofile(str(compiled))) == source, (
        f"{compiled} is out of date: run compilemessages"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    offences = []
    for entry in _pofile(language).translated_entries():
        expected = set(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            expected |= set(PLACEHOLDER.findall(entry.msgid_plural))
        for msgstr in _msgstrs(entry):
            found = set(PLACEHOLDER.findall(msgstr))
            if found != expected:
                offences.append(f"{entry.msgid!r}: {sorted(found)} != {sorted(expected)}")
    assert offences == []


def test_placeholder_pattern_sees_named_conversions_only() -> None:
    text = "%(name)s has %(count)d cases, 100%% done, %s left, %(rate).1f"
    assert PLACEHOLDER.findall(text) == ["%(name)s", "%(count)d", "%(rate).1f"]
