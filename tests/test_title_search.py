"""The title search by rarest pieces (cases.search): the same answers, less index work."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from cases.models import Case, TitleTrigram
from cases.search import SAMPLED, pieces_of, rare_pieces, refresh_title_trigrams
from cases.text import fold
from portal.models import RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant

TITLES = [
    "Kvartalsavstemming av reskontro",
    "KVARTALSAVSTEMMING feilet i mars",
    "Lønnsoppgjør for Åsgård",
    "Lønn til ny ansatt",
    "Feriepenger og lønn",
    "Kvartal uten avstemming",  # both halves, but not the word
    "Refusjon av sykepenger",
    "Björn i Tromsø får ikke lønnsslipp",
]
TERMS = [
    "kvartalsavstemming",
    "Kvartalsavstemming av",
    "lønn",
    "LØNNSOPPGJØR",
    "asgard",  # å is not a: finds nothing
    "åsgård",
    "bjørn",
    "tromso",  # ø is not o: finds nothing
    "sykepenger",
    "avstemming",
    "uten avstemming",
    "finnes ikke i noen tittel",
    "100%",
    "a_b",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cases(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> list[Case]:
    # Few titles here: a word in 2 of them would count as common at 2 %.
    monkeypatch.setattr("cases.search.RARE_SHARE", 0.2)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_ACCOUNTING)
    made = [make_case(cast.fjordetaten, cast.per, title=title) for title in TITLES]
    # Others' cases and another organisation's, which the sample sees too.
    for i in range(30):
        make_case(cast.fjordetaten, cast.ola, title=f"Lønn og ferie {i}")
        make_case(cast.kystdir, cast.nina, title=f"Avstemming {i}")
    return made


def found(client, term: str) -> set[str]:
    response = client.get("/saker/", {"tittel": term, "per_side": 100})
    assert response.status_code == 200
    return {case["title"] for case in response.context["page"].rows}


def expected(term: str, titles: list[str]) -> set[str]:
    return {title for title in titles if fold(term) in fold(title)}


def test_answers_are_the_same_with_and_without_a_sample(cast: Cast, cases: list[Case]) -> None:
    kari = client_for(cast.kari)
    fjordetaten = [c.title for c in Case.objects.filter(organisation=cast.fjordetaten)]
    without = {term: found(kari, term) for term in TERMS}
    assert refresh_title_trigrams() == Case.objects.count()
    assert rare_pieces(fold("kvartalsavstemming")), "the sample makes long words use pieces"
    for term in TERMS:
        assert found(kari, term) == without[term] == expected(term, fjordetaten), term


def test_plain_member_and_outsider_see_no_more_by_the_rare_pieces(
    cast: Cast, cases: list[Case]
) -> None:
    refresh_title_trigrams()
    own = [case.title for case in cases]
    assert found(client_for(cast.per), "kvartalsavstemming") == expected("kvartalsavstemming", own)
    assert found(client_for(cast.ola), "kvartalsavstemming") == set()
    outsider = client_for(cast.mona)
    assert found(outsider, "kvartalsavstemming") == set()


def test_the_rarest_pieces_of_a_long_word_are_chosen(cases: list[Case]) -> None:
    refresh_title_trigrams()
    pieces = rare_pieces(fold("kvartalsavstemming"))
    assert len(pieces) == 3
    assert set(pieces) <= pieces_of("kvartalsavstemming")
    share = dict(TitleTrigram.objects.values_list("trigram", "share"))
    others = pieces_of("kvartalsavstemming") - set(pieces)
    assert max(share.get(p, 0.0) for p in pieces) <= min(share.get(p, 0.0) for p in others)


def test_without_a_sample_short_or_common_words_use_the_plain_lookup(cases: list[Case]) -> None:
    assert rare_pieces("kvartalsavstemming") == [], "no sample yet"
    refresh_title_trigrams()
    assert rare_pieces("lønn") == [], "two pieces: the index is asked for them anyway"
    # "lønn og ferie" is in most titles of the sample: the list's own index walk is better.
    assert rare_pieces("lønn og ferie") == []


def test_pieces_are_only_letters_and_digits() -> None:
    assert pieces_of("ab-cd æøå 12") == {"æøå"}
    assert pieces_of("lønn") == {"løn", "ønn"}


def test_an_empty_table_gives_no_sample(db) -> None:
    assert refresh_title_trigrams() == 0
    assert not TitleTrigram.objects.filter(trigram=SAMPLED).exists()


def test_the_command_samples_and_a_new_sample_replaces_the_old(
    cases: list[Case], capsys: pytest.CaptureFixture[str]
) -> None:
    TitleTrigram.objects.create(trigram="zzz", share=0.5)
    call_command("refresh_title_trigrams", "--rows", "1000")
    assert "Sampled" in capsys.readouterr().out
    assert not TitleTrigram.objects.filter(trigram="zzz").exists()
    assert TitleTrigram.objects.filter(trigram=SAMPLED).exists()
