from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.organisations import ACTIVE_ORG_SESSION_KEY
from portal.validators import validate_org_number
from tests.conftest import Cast, client_for


@pytest.mark.parametrize("number", ["974760673", "971526920", "983887457"])
def test_real_organisation_numbers_are_valid(number: str) -> None:
    validate_org_number(number)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("974760674", "org_number_check_digit"),
        ("97476067A", "org_number_digits"),
        ("ABCDEFGHI", "org_number_digits"),
        ("97476067", "org_number_length"),
        ("9747606730", "org_number_length"),
        ("９７４７６０６７３", "org_number_digits"),  # full-width digits are not digits here
        ("", "org_number_digits"),
    ],
)
def test_invalid_organisation_numbers_are_refused_with_a_reason(number: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_org_number(number)
    assert excinfo.value.code == code


def test_member_of_two_organisations_can_switch(cast: Cast) -> None:
    client = client_for(cast.mona)
    response = client.post(
        reverse("portal:switch_organisation"),
        {"organisation": cast.kystdir.pk, "next": "/kontakt/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/kontakt/"
    assert client.session[ACTIVE_ORG_SESSION_KEY] == cast.kystdir.pk
    page = client.get(reverse("start"))
    assert page.context["active_organisation"] == cast.kystdir


def test_switch_to_organisation_user_is_not_member_of_is_404_and_session_unchanged(
    cast: Cast,
) -> None:
    client = client_for(cast.per)
    client.get(reverse("start"))
    before = client.session[ACTIVE_ORG_SESSION_KEY]
    response = client.post(reverse("portal:switch_organisation"), {"organisation": cast.kystdir.pk})
    assert response.status_code == 404
    assert client.session[ACTIVE_ORG_SESSION_KEY] == before == cast.fjordetaten.pk


def test_switch_to_unknown_organisation_is_404_like_a_foreign_one(cast: Cast) -> None:
    response = client_for(cast.nina).post(
        reverse("portal:switch_organisation"), {"organisation": 999_999}
    )
    assert response.status_code == 404


def test_switch_with_malformed_value_is_a_clear_400(cast: Cast) -> None:
    response = client_for(cast.mona).post(
        reverse("portal:switch_organisation"), {"organisation": "x"}
    )
    assert response.status_code == 400


def test_switch_ignores_redirect_to_another_site(cast: Cast) -> None:
    response = client_for(cast.mona).post(
        reverse("portal:switch_organisation"),
        {"organisation": cast.kystdir.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("start")


def test_forged_session_value_is_never_trusted(cast: Cast) -> None:
    client = client_for(cast.per)
    session = client.session
    session[ACTIVE_ORG_SESSION_KEY] = cast.kystdir.pk
    session.save()
    page = client.get(reverse("start"))
    assert page.context["active_organisation"] == cast.fjordetaten
    assert client.session[ACTIVE_ORG_SESSION_KEY] == cast.fjordetaten.pk


def test_ended_membership_takes_effect_on_next_request(cast: Cast) -> None:
    client = client_for(cast.mona)
    client.post(reverse("portal:switch_organisation"), {"organisation": cast.kystdir.pk})
    cast.mona.memberships.filter(organisation=cast.kystdir).delete()
    page = client.get(reverse("start"))
    assert page.context["active_organisation"] == cast.fjordetaten


def test_switcher_shown_only_to_members_of_several(cast: Cast) -> None:
    assert b'id="organisation-select"' in client_for(cast.mona).get("/").content
    per_page = client_for(cast.per).get("/")
    assert b'id="organisation-select"' not in per_page.content
    assert "Fjordetaten" in per_page.content.decode()


def test_user_without_membership_is_told_whom_to_ask(cast: Cast) -> None:
    response = client_for(cast.siv).get("/")
    assert response.status_code == 403
    assert response.context["active_organisation"] is None
    assert "Whom to ask" in response.content.decode() or "Hvem" in response.content.decode()


def test_anonymous_switch_goes_to_login(db: None) -> None:
    from django.test import Client

    response = Client().post(reverse("portal:switch_organisation"), {"organisation": 1})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
