"""Direct login links /inn/<slug>/ without OpenID Connect: through the password login.

The OpenID Connect path (the organisation as a hint to the provider) is in test_oidc.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django import forms
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.test.html import parse_html
from django.urls import reverse

from portal import version
from portal.demo import org_number
from portal.models import Membership, Organisation
from portal.organisations import ACTIVE_ORG_SESSION_KEY
from portal.views import OrganisationChoiceForm
from tests.browser import assert_no_axe_violations
from tests.cases_helpers import make_case
from tests.conftest import PASSWORD, Cast, client_for

FUTURE = dt.date(2999, 12, 31)


def test_without_oidc_a_direct_link_goes_through_the_password_login_into_the_new_version(
    cast: Cast, settings: Any
) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE  # a plain password login would offer the choice
    client = Client()
    response = client.get("/inn/kystdirektoratet/")
    assert response.status_code == 302
    assert response["Location"] == "/logg-inn/?next=/inn/kystdirektoratet/"
    login_page = client.get(response["Location"]).content.decode()
    assert 'value="/inn/kystdirektoratet/"' in login_page  # remembered in the form
    before = client.session.session_key
    response = client.post(
        "/logg-inn/",
        {"username": "mona", "password": PASSWORD, "next": "/inn/kystdirektoratet/"},
    )
    assert response["Location"] == "/inn/kystdirektoratet/"
    response = client.get(response["Location"])
    assert response["Location"] == reverse("start")
    session = client.session
    assert session.session_key != before
    assert session[SESSION_KEY] == str(cast.mona.pk)
    assert session[ACTIVE_ORG_SESSION_KEY] == cast.kystdir.pk
    assert session[version.SESSION_KEY] == version.NEW
    start = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You are working in Kystdirektoratet" in start


def test_plain_password_login_still_offers_the_version_choice(cast: Cast, settings: Any) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE
    response = Client().post("/logg-inn/", {"username": "mona", "password": PASSWORD})
    assert response["Location"] == reverse("portal:version_choice")


def test_logged_in_member_following_a_link_switches_to_that_organisation(cast: Cast) -> None:
    client = client_for(cast.mona)
    client.get("/")
    assert client.session[ACTIVE_ORG_SESSION_KEY] == cast.fjordetaten.pk
    response = client.get("/inn/kystdirektoratet/")
    assert response["Location"] == reverse("start")
    assert client.session[ACTIVE_ORG_SESSION_KEY] == cast.kystdir.pk
    assert client.session[version.SESSION_KEY] == version.NEW


def test_a_link_to_another_organisation_grants_nothing_and_says_so(cast: Cast) -> None:
    client = client_for(cast.per)
    response = client.get("/inn/kystdirektoratet/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("start")
    assert "You are not registered as a member of Kystdirektoratet" in html
    assert client.session[ACTIVE_ORG_SESSION_KEY] == cast.fjordetaten.pk
    assert not Membership.objects.filter(user=cast.per, organisation=cast.kystdir).exists()


def test_a_logged_in_person_without_membership_is_told_whom_to_ask(cast: Cast) -> None:
    response = client_for(cast.siv).get("/inn/fjordetaten/")
    assert response["Location"] == reverse("no_membership")


def test_unknown_link_is_a_404_with_the_list_of_organisations(cast: Cast) -> None:
    Organisation.objects.create(
        name="Nedlagt etat", org_number=org_number("98100004"), slug="nedlagt", is_active=False
    )
    for slug in ["finnes-ikke", "nedlagt"]:
        response = Client().get(f"/inn/{slug}/", HTTP_ACCEPT_LANGUAGE="en")
        html = response.content.decode()
        assert response.status_code == 404
        assert "Unknown login link" in html
        assert f"/inn/{slug}/" in html
        assert f'action="{reverse("portal:organisation_link")}"' in html
        assert 'method="get"' in html
        assert 'name="virksomhet"' in html
        assert '<option value="fjordetaten">Fjordetaten</option>' in html
        assert '<option value="kystdirektoratet">Kystdirektoratet</option>' in html
        assert "Nedlagt etat" not in html
        assert '<label class="ds-label" for="org_virksomhet">' in html


def test_the_list_on_the_404_page_leads_to_the_chosen_link(cast: Cast) -> None:
    response = Client().get(reverse("portal:organisation_link"), {"virksomhet": "fjordetaten"})
    assert response["Location"] == "/inn/fjordetaten/"


def test_direct_link_accepts_only_get(cast: Cast) -> None:
    assert Client().post("/inn/fjordetaten/").status_code == 405


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unknown_link_and_no_membership_pages_in_a_browser(
    page: Any, page_without_js: Any, cast: Cast
) -> None:
    page.goto("/inn/finnes-ikke/")
    page.get_by_role("heading", name="Ukjent innloggingslenke").or_(
        page.get_by_role("heading", name="Unknown login link")
    ).wait_for()
    assert_no_axe_violations(page)

    # Without JavaScript: choose from the list, log in with password, land in the new version.
    browser = page_without_js
    browser.goto("/inn/finnes-ikke/")
    browser.locator("#org_virksomhet").select_option("kystdirektoratet")
    with browser.expect_navigation():
        browser.locator("form.org-picker button[type=submit]").click()
    assert browser.url.endswith("/logg-inn/?next=/inn/kystdirektoratet/")
    browser.get_by_label("Brukernavn", exact=True).fill("mona")
    browser.get_by_label("Passord", exact=True).fill(PASSWORD)
    with browser.expect_navigation():
        browser.get_by_role("button", name="Logg inn").click()
    assert browser.url.endswith("/")
    assert browser.locator("#organisation-select").input_value() == str(cast.kystdir.pk)

    # Someone with no membership is told whom to ask.
    page.goto("/logg-inn/")
    page.get_by_label("Brukernavn", exact=True).fill("siv")
    page.get_by_label("Passord", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logg inn").click()
    page.goto("/ingen-virksomhet/")
    assert page.locator("h1").count() == 1
    assert_no_axe_violations(page)


@pytest.mark.parametrize("chosen", ["", "fjordetaten", "finnes-ikke"])
def test_the_organisation_list_is_the_markup_djangos_select_would_write(
    cast: Cast, chosen: str
) -> None:
    Organisation.objects.create(
        name='Etat for "A & <B>"', org_number=org_number("98100012"), slug="a-og-b"
    )
    form = OrganisationChoiceForm({"virksomhet": chosen} if chosen else None, auto_id="org_%s")
    ours = str(form["virksomhet"])
    assert "Etat for &quot;A &amp; &lt;B&gt;&quot;" in ours
    choices: Any = form.fields["virksomhet"].widget.choices
    django = form["virksomhet"].as_widget(widget=forms.Select(choices=choices))
    assert parse_html(ours) == parse_html(django)


def test_the_login_page_lists_organisations_to_the_anonymous_only(cast: Cast) -> None:
    html = Client().get("/logg-inn/").content.decode()
    assert '<option value="fjordetaten">Fjordetaten</option>' in html
    # The plain member and the member of another organisation are logged in already.
    for person in (cast.per, cast.nina):
        response = client_for(person).get("/logg-inn/")
        assert response.status_code == 302
        assert not response["Location"].startswith("/logg-inn/")


# --- `next` survives every way in (a case link in an e-mail lands on the case) ---------


def test_the_login_pages_organisation_list_carries_next_on_to_the_direct_link(
    cast: Cast,
) -> None:
    case = make_case(cast.kystdir, cast.mona)
    link = f"/saker/{case.number}/"
    response = Client().get(link)
    assert response["Location"] == f"/logg-inn/?next={quote(link)}"
    page = Client().get(response["Location"]).content.decode()
    picker = page[page.index('class="stack org-picker"') :]
    picker = picker[: picker.index("</form>")]
    assert f'<input type="hidden" name="next" value="{link}">' in picker
    response = Client().get(
        reverse("portal:organisation_link"), {"virksomhet": "kystdirektoratet", "next": link}
    )
    assert response["Location"] == f"/inn/kystdirektoratet/?next={quote(link, safe='')}"


def test_a_case_link_lands_on_the_case_through_the_list_and_the_password_login(
    cast: Cast, settings: Any
) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE  # the direct link still means the new version
    case = make_case(cast.kystdir, cast.mona)
    link = f"/saker/{case.number}/"
    client = Client()
    location = client.get(
        reverse("portal:organisation_link"), {"virksomhet": "kystdirektoratet", "next": link}
    )["Location"]
    location = client.get(location)["Location"]  # the direct link: on to the password login
    assert location.startswith("/logg-inn/?next=")
    login_next = parse_qs(urlsplit(location).query)["next"][0]
    response = client.post(
        "/logg-inn/", {"username": "mona", "password": PASSWORD, "next": login_next}
    )
    response = client.get(response["Location"])  # back at the direct link, logged in
    assert response["Location"] == link
    session = client.session
    assert session[ACTIVE_ORG_SESSION_KEY] == cast.kystdir.pk
    assert session[version.SESSION_KEY] == version.NEW
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert case.number in page.content.decode()


def test_a_logged_in_member_following_a_direct_link_with_next_lands_there(cast: Cast) -> None:
    client = client_for(cast.mona)
    response = client.get("/inn/kystdirektoratet/", {"next": "/saker/"})
    assert response["Location"] == "/saker/"
    assert client.session[ACTIVE_ORG_SESSION_KEY] == cast.kystdir.pk


def test_the_plain_password_login_lands_on_next(cast: Cast, settings: Any) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE
    response = Client().post(
        "/logg-inn/", {"username": "mona", "password": PASSWORD, "next": "/saker/"}
    )
    assert response["Location"] == "/saker/"


@pytest.mark.parametrize(
    "unsafe",
    ["https://evil.example/saker/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
def test_a_next_leading_off_the_site_is_dropped_on_every_way_in(cast: Cast, unsafe: str) -> None:
    response = Client().get(
        reverse("portal:organisation_link"), {"virksomhet": "fjordetaten", "next": unsafe}
    )
    assert response["Location"] == "/inn/fjordetaten/"
    response = client_for(cast.per).get("/inn/fjordetaten/", {"next": unsafe})
    assert response["Location"] == reverse("start")
    response = Client().post(
        "/logg-inn/", {"username": "per", "password": PASSWORD, "next": unsafe}
    )
    assert "evil" not in response["Location"]


def test_a_direct_link_never_lands_in_the_old_version(cast: Cast, settings: Any) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE
    client = client_for(cast.per)
    response = client.get("/inn/fjordetaten/", {"next": reverse("old:list")})
    assert response["Location"] == reverse("start")
    assert client.session[version.SESSION_KEY] == version.NEW
