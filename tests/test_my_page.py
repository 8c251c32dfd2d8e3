"""Min side: contact details, contact persons by grouping, access in the organisation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from portal.models import RoleType
from tests.conftest import Cast, client_for, grant, make_user


@pytest.fixture
def roles(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    grant(cast.ola, cast.fjordetaten, "kontraktsansvarlig")
    grant(cast.nina, cast.kystdir, "kontaktperson-it-teknisk")


def test_contact_persons_by_grouping(cast: Cast, roles: None) -> None:
    response = client_for(cast.per).get("/min-side/", HTTP_ACCEPT_LANGUAGE="nb")
    groupings = {g["role"].code: g["holders"] for g in response.context["groupings"]}
    assert [a.person for a in groupings["kontraktsansvarlig"]] == [cast.ola]
    assert groupings["kontaktperson-it-teknisk"] == []  # Nina's is another organisation's
    html = response.content.decode()
    assert "<details" in html
    assert "ola@example.no" in html


GROUPINGS = (
    "kontraktsansvarlig",
    "kontaktperson-lonn",
    "kontaktperson-regnskap",
    "kontaktperson-it-teknisk",
    RoleType.FULLMAKT,
    RoleType.PAYROLL_ORDERER,
    RoleType.ACCOUNTING_ORDERER,
    RoleType.BUDGET_HOLDER,
)


def _disclosures(html: str) -> dict[str, str]:
    """Each Designsystemet disclosure on the page: its summary's text -> its panel."""
    found = re.findall(
        r'<details class="ds-details"[^>]*>\s*<summary>(.*?)</summary>(.*?)</details>', html, re.S
    )
    return {" ".join(summary.split()): panel for summary, panel in found}


def test_every_grouping_is_a_disclosure_with_its_people_and_their_count(cast: Cast) -> None:
    """The release note's "dropdown per grouping": all eight, each person with name, title,
    e-mail and phone as links; only active members' roles held today count."""
    people = (cast.kari, cast.ola)
    for person in people:
        person.job_title = f"Title of {person.username}"
        person.phone = "+47 22 00 00 00"
        person.save()
    for code in GROUPINGS:
        for person in people:
            grant(person, cast.fjordetaten, code)
    grant(cast.eva, cast.fjordetaten, RoleType.FULLMAKT, valid_to=dt.date(2021, 12, 31))
    grant(cast.mona, cast.fjordetaten, RoleType.FULLMAKT)
    cast.mona.memberships.filter(organisation=cast.fjordetaten).delete()  # left
    html = client_for(cast.per).get("/min-side/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    disclosures = _disclosures(html)
    for code in GROUPINGS:
        name = RoleType.objects.get(code=code).name_en
        panel = disclosures[f"{name} (2 people)"]
        for person in people:
            assert str(person) in panel
            assert person.job_title in panel
            assert f'href="mailto:{person.email}"' in panel
            assert 'href="tel:+4722000000"' in panel
        assert "eva@example.no" not in panel
        assert "mona@example.no" not in panel
    assert len(disclosures) == len(GROUPINGS)


def test_a_grouping_of_one_says_one_person_and_an_empty_one_says_nobody(cast: Cast) -> None:
    grant(cast.ola, cast.fjordetaten, RoleType.BUDGET_HOLDER)
    html = client_for(cast.per).get("/min-side/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    disclosures = _disclosures(html)
    assert "ola@example.no" in disclosures["Budsjettdisponent (1 person)"]
    assert "Ingen er registrert." in disclosures["Fullmakt (0 personer)"]


def test_groupings_of_an_area_the_organisation_does_not_buy_are_left_out(cast: Cast) -> None:
    cast.fjordetaten.buys_accounting = False
    cast.fjordetaten.save()
    response = client_for(cast.per).get("/min-side/")
    codes = [g["role"].code for g in response.context["groupings"]]
    assert codes == [c for c in GROUPINGS if "regnskap" not in c]


def test_access_overview_shows_authorities_since_when_and_basis(cast: Cast, roles: None) -> None:
    response = client_for(cast.per).get("/min-side/")
    rows = {
        (r["assignment"].role.code, r["assignment"].person.username)
        for r in response.context["authorities"]
    }
    assert (RoleType.PAYROLL_ORDERER, "kari") in rows
    assert (RoleType.FULLMAKT, "ola") in rows
    assert all(r["assignment"].role.kind != "contact" for r in response.context["authorities"])


def test_plain_member_sees_why_only_for_own_roles(cast: Cast, roles: None) -> None:
    per = client_for(cast.per).get("/min-side/").context["authorities"]
    assert all(row["why"] == [] for row in per)
    ola = client_for(cast.ola).get("/min-side/").context["authorities"]
    assert all(row["why"] for row in ola)  # a fullmakt holder sees every chain
    kari = client_for(cast.kari).get("/min-side/").context["authorities"]
    assert any(row["why"] for row in kari if row["assignment"].person == cast.kari)


def test_outsider_sees_only_their_own_organisation(cast: Cast, roles: None) -> None:
    response = client_for(cast.nina).get("/min-side/")
    people = {r["assignment"].person for r in response.context["authorities"]}
    assert cast.kari not in people
    assert cast.ola not in people
    assert "Ola" not in response.content.decode()


def test_notice_when_nobody_holds_autorisert_bestiller_lonn(cast: Cast) -> None:
    html = client_for(cast.per).get("/min-side/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "payroll access cannot be ordered" in html


def test_no_notice_when_an_orderer_exists(cast: Cast, roles: None) -> None:
    cast.fjordetaten.buys_accounting = False
    cast.fjordetaten.save()
    response = client_for(cast.per).get("/min-side/")
    assert response.context["missing_orderers"] == []


def test_editing_contact_details(cast: Cast) -> None:
    response = client_for(cast.per).post(
        "/min-side/",
        {
            "first_name": "Per",
            "last_name": "Olsen",
            "email": "per.olsen@example.no",
            "phone": "+47 22 00 00 00",
            "job_title": "Lønnsmedarbeider",
        },
    )
    assert response.status_code == 302
    cast.per.refresh_from_db()
    assert (cast.per.last_name, cast.per.phone) == ("Olsen", "+47 22 00 00 00")


def test_bad_contact_details_keep_what_was_typed_and_store_nothing(cast: Cast) -> None:
    response = client_for(cast.per).post(
        "/min-side/",
        {
            "first_name": "Per",
            "last_name": "Nytt etternavn",
            "email": "ikke-epost",
            "phone": "ring meg",
            "job_title": "Sjef",
        },
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Nytt etternavn"' in html
    assert 'value="ring meg"' in html
    cast.per.refresh_from_db()
    assert cast.per.last_name == "Testesen"


def test_member_without_organisation_still_has_contact_details(cast: Cast) -> None:
    response = client_for(cast.siv).get("/min-side/")
    assert response.status_code == 200
    assert "groupings" not in response.context


def test_anonymous_goes_to_login(db: None) -> None:
    assert Client().get("/min-side/").status_code == 302


def test_my_role_with_an_end_says_through_its_last_day(cast: Cast) -> None:
    """A role's end date is the last day it is held: "til og med", never a bare "til"."""
    grant(
        cast.per,
        cast.fjordetaten,
        RoleType.EXTENDED_PAYROLL,
        dt.date(2020, 1, 1),
        dt.date(2099, 6, 30),
    )
    expected = {
        "nb": "til og med 30.06.2099",
        "nn": "til og med 30.06.2099",
        "en": "through 30.06.2099",
    }
    for language, words in expected.items():
        html = (
            client_for(cast.per).get("/min-side/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        )
        assert words in html
    outsider = client_for(make_user("outsider")).get("/min-side/")
    assert "30.06.2099" not in outsider.content.decode()


def test_a_missing_orderer_is_named_in_the_readers_language_and_only_the_missing_one(
    cast: Cast,
) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    english = client_for(cast.kari).get("/min-side/", HTTP_ACCEPT_LANGUAGE="en")
    html = english.content.decode()
    assert "authorised accounting orderer (autorisert bestiller regnskap)" in html
    assert "Nobody holds the role authorised payroll orderer" not in html  # Kari holds it
    assert "has no authorised orderer" not in html  # the organisation has one, for payroll
    nynorsk = client_for(cast.per).get("/min-side/", HTTP_ACCEPT_LANGUAGE="nn").content.decode()
    assert "rolla autorisert bestillar rekneskap" in nynorsk
    outsider = client_for(make_user("outsider")).get("/min-side/", HTTP_ACCEPT_LANGUAGE="en")
    assert "missing an authorised orderer" not in outsider.content.decode()  # no organisation
