"""Rule 8: the old and the new version, the choice after login, and the cutoff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Case
from cases.old_views import OLD_LIST_LIMIT
from portal.dates import OSLO
from portal.models import Organisation, RoleType, User
from portal.version import SESSION_KEY
from tests.cases_helpers import make_case, subject_area
from tests.conftest import PASSWORD, Cast, client_for, grant


@pytest.fixture(autouse=True)
def _english_by_default(settings) -> None:
    """The assertions read the English texts; a request without a language gets them."""
    settings.LANGUAGE_CODE = "en"


LAST_MINUTE_OPEN = dt.datetime(2022, 11, 18, 23, 59, tzinfo=OSLO)
FIRST_MINUTE_CLOSED = dt.datetime(2022, 11, 19, 0, 0, tzinfo=OSLO)
CLOSED_NOTICE = "The old version is closed; you are in the new version."


@pytest.fixture
def old_open(settings: Any) -> None:
    """The old version open for the whole test, whatever today's date is."""
    settings.OLD_VERSION_LAST_DAY = dt.date(2099, 1, 1)


@pytest.fixture
def cases(cast: Cast) -> dict[str, Case]:
    # Kari has utvidet tilgang lønn in Fjordetaten; Per is a plain colleague.
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    return {
        "per_payroll": make_case(cast.fjordetaten, cast.per, "lonn", title="Feriepenger feil"),
        "per_accounting": make_case(
            cast.fjordetaten, cast.per, "regnskap", title="Faktura mangler"
        ),
        "phone_payroll": make_case(
            cast.fjordetaten,
            None,
            "lonn",
            title="Telefon om trekk",
            channel=Case.Channel.PHONE,
            actor=cast.siv,
        ),
        "ola_accounting": make_case(cast.fjordetaten, cast.ola, "regnskap", title="Olas bilag"),
        "nina_payroll": make_case(cast.kystdir, cast.nina, "lonn", title="Kystlønn"),
    }


def _numbers_in(html: str, cases: dict[str, Case]) -> set[str]:
    return {name for name, case in cases.items() if case.number in html}


# --- The cutoff, to the minute ------------------------------------------------------


def test_old_list_is_open_in_the_last_minute_of_the_last_day(cast: Cast) -> None:
    with time_machine.travel(LAST_MINUTE_OPEN, tick=False):
        response = client_for(cast.per).get("/gammel/saker/")
    assert response.status_code == 200
    assert b"old-case-table" in response.content or b"You have no cases." in response.content


def test_old_list_redirects_from_the_first_minute_of_the_next_day(cast: Cast) -> None:
    # 19.11.2022 00:00 in Oslo is 18.11.2022 23:00 UTC.
    assert dt.datetime(2022, 11, 18, 23, 0, tzinfo=dt.UTC) == FIRST_MINUTE_CLOSED
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        client = client_for(cast.per)
        response = client.get("/gammel/saker/")
        assert response.status_code == 302
        assert response["Location"] == "/saker/"
        assert CLOSED_NOTICE in client.get("/saker/").content.decode()


def test_an_hour_before_the_cutoff_in_utc_is_still_open(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2022, 11, 18, 22, 59, tzinfo=dt.UTC), tick=False):
        assert client_for(cast.per).get("/gammel/saker/").status_code == 200


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/gammel/", "/saker/"),
        ("/gammel/saker/", "/saker/"),
        ("/gammel/saker/?q=lønn", "/saker/"),
        ("/gammel/noe/annet/", "/"),
    ],
)
def test_every_old_address_redirects_after_the_cutoff(cast: Cast, old: str, new: str) -> None:
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        client = client_for(cast.per)
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (302, new)
        assert CLOSED_NOTICE in client.get(new).content.decode()


def test_old_case_page_redirects_to_the_new_case_page_after_the_cutoff(
    cast: Cast, cases: dict[str, Case]
) -> None:
    number = cases["per_payroll"].number
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        client = client_for(cast.per)
        response = client.get(f"/gammel/saker/{number}/")
        assert (response.status_code, response["Location"]) == (302, f"/saker/{number}/")
        assert CLOSED_NOTICE in client.get(f"/saker/{number}/").content.decode()


def test_anonymous_is_redirected_too_after_the_cutoff(db: None) -> None:
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        response = Client().get("/gammel/saker/SAK-2022-0000001/")
    assert (response.status_code, response["Location"]) == (302, "/saker/SAK-2022-0000001/")


def test_unknown_old_address_is_404_before_the_cutoff(cast: Cast, old_open: None) -> None:
    assert client_for(cast.per).get("/gammel/noe/annet/").status_code == 404


# --- Logging in: the choice, and where each way lands ------------------------------


def _password_login(client: Client, **extra: str) -> Any:
    return client.post(reverse("portal:login"), {"username": "per", "password": PASSWORD, **extra})


def test_password_login_before_the_cutoff_lands_on_the_choice(cast: Cast) -> None:
    with time_machine.travel(LAST_MINUTE_OPEN, tick=False):
        client = Client()
        response = _password_login(client)
        assert (response.status_code, response["Location"]) == (302, "/versjon/")
        page = client.get("/versjon/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Use the new version" in html
    assert "Use the old version" in html
    assert "18.11.2022" in html


def test_password_login_after_the_cutoff_lands_on_the_start_page(cast: Cast) -> None:
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        client = Client()
        response = _password_login(client)
        assert (response.status_code, response["Location"]) == (302, "/")
        assert client.session[SESSION_KEY] == "new"
        # The choice page itself is gone: it sends you on to the start page.
        assert client.get("/versjon/")["Location"] == "/"


def test_password_login_with_a_safe_next_goes_there(cast: Cast, old_open: None) -> None:
    response = _password_login(Client(), next="/kontakt/")
    assert response["Location"] == "/kontakt/"


def test_password_login_ignores_an_unsafe_next(cast: Cast, old_open: None) -> None:
    response = _password_login(Client(), next="https://evil.example/")
    assert response["Location"] == "/versjon/"


def test_choosing_old_lands_in_the_old_list_and_is_remembered(cast: Cast, old_open: None) -> None:
    client = Client()
    _password_login(client)
    response = client.post(reverse("portal:switch_version"), {"version": "old"})
    assert (response.status_code, response["Location"]) == (302, "/gammel/saker/")
    assert client.session[SESSION_KEY] == "old"
    html = client.get("/gammel/saker/").content.decode()
    assert "Switch to the new version" in html


def test_choosing_new_lands_on_the_start_page(cast: Cast, old_open: None) -> None:
    client = Client()
    _password_login(client)
    response = client.post(reverse("portal:switch_version"), {"version": "new"})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.session[SESSION_KEY] == "new"


def test_choosing_old_after_the_cutoff_keeps_the_new_version(cast: Cast) -> None:
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        client = client_for(cast.per)
        response = client.post(reverse("portal:switch_version"), {"version": "old"})
        assert response["Location"] == "/"
        assert client.session[SESSION_KEY] == "new"


def test_switch_refuses_an_unknown_version_and_get(cast: Cast, old_open: None) -> None:
    client = client_for(cast.per)
    assert client.post(reverse("portal:switch_version"), {"version": "x"}).status_code == 400
    assert client.get(reverse("portal:switch_version")).status_code == 405


def test_version_pages_need_login(db: None, old_open: None) -> None:
    assert Client().get("/versjon/")["Location"].startswith("/logg-inn/")
    response = Client().post(reverse("portal:switch_version"), {"version": "old"})
    assert response["Location"].startswith("/logg-inn/")


# --- The switch in the header -------------------------------------------------------


def test_header_offers_the_old_version_on_new_pages_until_the_cutoff(
    cast: Cast, old_open: None
) -> None:
    html = client_for(cast.per).get("/kontakt/").content.decode()
    assert 'action="/versjon/bytt/"' in html
    assert "Switch to the old version" in html


def test_header_has_no_switch_after_the_cutoff(cast: Cast) -> None:
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        html = client_for(cast.per).get("/kontakt/").content.decode()
    assert "/versjon/bytt/" not in html


def test_header_has_no_switch_for_anonymous_visitors(db: None, old_open: None) -> None:
    assert "/versjon/bytt/" not in Client().get("/logg-inn/").content.decode()


def test_header_switch_from_an_old_case_leads_to_the_same_case_in_the_new_version(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    client = client_for(cast.per)
    number = cases["per_payroll"].number
    html = client.get(f"/gammel/saker/{number}/").content.decode()
    assert f'name="next" value="/saker/{number}/"' in html
    response = client.post(
        reverse("portal:switch_version"), {"version": "new", "next": f"/saker/{number}/"}
    )
    assert response["Location"] == f"/saker/{number}/"
    assert client.session[SESSION_KEY] == "new"


def test_switch_to_new_never_returns_into_the_old_version(cast: Cast, old_open: None) -> None:
    client = client_for(cast.per)
    response = client.post(
        reverse("portal:switch_version"), {"version": "new", "next": "/gammel/saker/"}
    )
    assert response["Location"] == "/"


def test_opening_an_old_address_switches_the_session_to_old(cast: Cast, old_open: None) -> None:
    client = client_for(cast.per)
    client.post(reverse("portal:switch_version"), {"version": "new"})
    response = client.get("/gammel/")
    assert (response.status_code, response["Location"]) == (302, "/gammel/saker/")
    assert client.session[SESSION_KEY] == "old"


# --- The old list: one search box, at most 1000 cases, fixed columns --------------


def test_old_list_has_fixed_columns_and_one_search_box(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    html = client_for(cast.per).get("/gammel/saker/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count('<th scope="col">') == 4
    for heading in ["Number", "Title", "Status", "Last changed"]:
        assert f'<th scope="col">{heading}</th>' in html
    assert html.count('name="q"') == 1
    assert '<label class="ds-label" for="id_q">' in html
    assert "Columns" not in html  # no column choice


def test_old_search_over_number_and_folded_title(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    client = client_for(cast.per)
    by_title = client.get("/gammel/saker/", {"q": "FERIEPENGER"}).content.decode()
    assert _numbers_in(by_title, cases) == {"per_payroll"}
    number = cases["per_accounting"].number
    by_number = client.get("/gammel/saker/", {"q": number[-4:]}).content.decode()
    assert _numbers_in(by_number, cases) == {"per_accounting"}
    nothing = client.get("/gammel/saker/", {"q": "finnes ikke"}).content.decode()
    assert _numbers_in(nothing, cases) == set()
    assert "No cases match the search." in nothing


def _bulk_cases(organisation: Organisation, user: User, count: int) -> list[Case]:
    start = dt.datetime(2022, 1, 1, 8, 0, tzinfo=OSLO)
    area = subject_area("lonn")
    return Case.objects.bulk_create(
        Case(
            number=f"SAK-2022-9{index:06d}",
            organisation=organisation,
            category="lonn",
            subject_area=area,
            title=f"Bulksak {index}",
            description="Beskrivelse",
            reported_by=user,
            created_at=start,
            updated_at=start + dt.timedelta(minutes=index),
        )
        for index in range(count)
    )


def test_old_list_caps_at_1000_newest_cases(cast: Cast, old_open: None) -> None:
    _bulk_cases(cast.fjordetaten, cast.per, OLD_LIST_LIMIT + 1)
    html = client_for(cast.per).get("/gammel/saker/").content.decode()
    assert html.count('href="/gammel/saker/SAK-2022-9') == OLD_LIST_LIMIT
    assert "SAK-2022-9001000" in html  # the newest
    assert "SAK-2022-9000000" not in html  # the oldest is left out
    assert html.index("SAK-2022-9001000") < html.index("SAK-2022-9000999")
    assert "Showing the 1,000 most recently changed cases" in html


def test_old_list_at_exactly_1000_has_no_cap_note(cast: Cast, old_open: None) -> None:
    _bulk_cases(cast.fjordetaten, cast.per, OLD_LIST_LIMIT)
    html = client_for(cast.per).get("/gammel/saker/").content.decode()
    assert html.count('href="/gammel/saker/SAK-2022-9') == OLD_LIST_LIMIT
    assert "most recently changed" not in html
    assert "1,000 cases" in html  # the count, with the language's thousands separator


# --- Visibility: the same doors as the new version ---------------------------------


def test_plain_member_sees_only_own_cases_in_the_old_list(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    html = client_for(cast.per).get("/gammel/saker/").content.decode()
    assert _numbers_in(html, cases) == {"per_payroll", "per_accounting"}


def test_extended_access_sees_the_organisations_payroll_cases(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    html = client_for(cast.kari).get("/gammel/saker/").content.decode()
    assert _numbers_in(html, cases) == {"per_payroll", "phone_payroll"}
    case = client_for(cast.kari).get(f"/gammel/saker/{cases['phone_payroll'].number}/")
    assert case.status_code == 200


def test_outsider_gets_404_on_another_organisations_case(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    client = client_for(cast.nina)
    assert client.get(f"/gammel/saker/{cases['per_payroll'].number}/").status_code == 404
    assert client.get("/gammel/saker/SAK-1999-0000000/").status_code == 404
    assert _numbers_in(client.get("/gammel/saker/").content.decode(), cases) == {"nina_payroll"}


def test_colleague_without_extended_access_gets_404(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    client = client_for(cast.ola)
    assert client.get(f"/gammel/saker/{cases['per_payroll'].number}/").status_code == 404


def test_old_case_page_is_read_only_and_links_to_the_new_version(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    case = cases["per_payroll"]
    response = client_for(cast.per).get(f"/gammel/saker/{case.number}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert case.title in html
    assert 'method="post"' not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert f'href="/saker/{case.number}/"' in html
    assert client_for(cast.per).post(f"/gammel/saker/{case.number}/").status_code == 405


def test_anonymous_goes_to_login_before_the_cutoff(db: None, old_open: None) -> None:
    for address in ["/gammel/", "/gammel/saker/", "/gammel/saker/SAK-2022-0000001/"]:
        response = Client().get(address)
        assert response.status_code == 302
        assert response["Location"].startswith("/logg-inn/?next=/gammel/")


def test_login_from_an_old_address_returns_there(cast: Cast, old_open: None) -> None:
    client = Client()
    response = _password_login(client, next="/gammel/saker/")
    assert response["Location"] == "/gammel/saker/"
    assert client.get("/gammel/saker/").status_code == 200
    assert client.session[SESSION_KEY] == "old"


# --- The login page's list of organisations ----------------------------------------


def test_login_page_lists_active_organisations_in_a_labelled_select(
    cast: Cast, old_open: None
) -> None:
    cast.kystdir.is_active = False
    cast.kystdir.save()
    html = Client().get("/logg-inn/").content.decode()
    assert '<label class="ds-label" for="org_virksomhet">' in html
    assert '<option value="fjordetaten">Fjordetaten</option>' in html
    assert "kystdirektoratet" not in html
    assert 'action="/logg-inn/virksomhet/"' in html
    assert "18.11.2022" not in html  # the cutoff is 2099 here
    assert "you can choose between the new and the old version" in html


def test_login_page_says_nothing_of_the_old_version_after_the_cutoff(db: None) -> None:
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        html = Client().get("/logg-inn/").content.decode()
    assert "old version" not in html


def test_choosing_an_organisation_leads_to_its_direct_link(cast: Cast) -> None:
    response = Client().get("/logg-inn/virksomhet/", {"virksomhet": "fjordetaten"})
    assert (response.status_code, response["Location"]) == (302, "/inn/fjordetaten/")


def test_unknown_or_no_organisation_goes_back_to_the_login_page_with_a_word(cast: Cast) -> None:
    client = Client()
    for slug, word in (
        ("ukjent", "Choose your organisation from the list."),
        ("", "Choose your organisation."),
    ):
        response = client.get(
            "/logg-inn/virksomhet/", {"virksomhet": slug}, HTTP_ACCEPT_LANGUAGE="en", follow=True
        )
        assert response.redirect_chain == [("/logg-inn/", 302)]
        assert word in response.content.decode()


# --- Issue 13, point 11: the login page's choice and the switch on every page --------


def _choose_and_log_in(person: User, slug: str) -> tuple[Client, str]:
    """Password mode: choose ``slug`` in the login page's list, then log in as ``person``."""
    client = Client()
    chosen = client.get("/logg-inn/virksomhet/", {"virksomhet": slug}, follow=True)
    login_page = chosen.redirect_chain[-1][0]
    assert login_page.startswith("/logg-inn/?next=")
    next_url = chosen.context["next"]
    response = client.post(
        "/logg-inn/",
        {"username": person.username, "password": PASSWORD, "next": next_url},
        follow=True,
    )
    assert response.status_code == 200
    return client, response.content.decode()


def test_choosing_an_organisation_in_password_mode_shows_the_choice(cast: Cast) -> None:
    response = Client().get(
        "/logg-inn/virksomhet/", {"virksomhet": "kystdirektoratet"}, follow=True
    )
    html = response.content.decode()
    assert "You chose Kystdirektoratet" in html
    assert '<option value="kystdirektoratet" selected>' in html


def test_the_choice_logs_in_to_that_organisation(cast: Cast, old_open: None) -> None:
    # Mona is a member of both; without the choice she would start in the first one.
    client, _html = _choose_and_log_in(cast.mona, "kystdirektoratet")
    assert client.session["active_organisation"] == cast.kystdir.pk
    assert client.session[SESSION_KEY] == "new"  # a direct link lands in the new version
    client, _html = _choose_and_log_in(cast.mona, "fjordetaten")
    assert client.session["active_organisation"] == cast.fjordetaten.pk


def test_choosing_an_organisation_one_is_not_a_member_of_says_so(cast: Cast) -> None:
    client, html = _choose_and_log_in(cast.per, "kystdirektoratet")
    assert "You are not registered as a member of Kystdirektoratet" in html
    assert client.session["active_organisation"] == cast.fjordetaten.pk


def test_a_next_that_is_no_organisations_link_chooses_nothing(cast: Cast) -> None:
    for next_url in ("/inn/ukjent/", "/saker/", "/inn/", "//evil.example/inn/x/"):
        response = Client().get("/logg-inn/", {"next": next_url})
        assert response.status_code == 200
        assert "You chose" not in response.content.decode()


def test_the_switch_follows_the_page_not_the_session(
    cast: Cast, cases: dict[str, Case], old_open: None
) -> None:
    client = client_for(cast.per)
    number = cases["per_payroll"].number
    client.get("/gammel/saker/")  # the session is now in the old version
    new_page = client.get(f"/saker/{number}/").content.decode()
    assert "Switch to the old version" in new_page
    assert "Switch to the new version" not in new_page
    assert f'name="next" value="/gammel/saker/{number}/"' in new_page
    old_page = client.get(f"/gammel/saker/{number}/").content.decode()
    assert "Switch to the new version" in old_page
    assert "Switch to the old version" not in old_page


@pytest.mark.parametrize(
    ("new_page", "old_page"),
    [("/saker/", "/gammel/saker/"), ("/min-side/", "/gammel/saker/"), ("/", "/gammel/saker/")],
)
def test_switching_to_old_goes_to_the_matching_old_page(
    cast: Cast, old_open: None, new_page: str, old_page: str
) -> None:
    client = client_for(cast.per)
    html = client.get(new_page).content.decode()
    assert f'name="next" value="{old_page}"' in html
    response = client.post(reverse("portal:switch_version"), {"version": "old", "next": old_page})
    assert response["Location"] == old_page
    # A next outside the old version never leads there from the old switch.
    response = client.post(
        reverse("portal:switch_version"), {"version": "old", "next": "/min-side/"}
    )
    assert response["Location"] == "/gammel/saker/"


def test_old_min_side_leads_to_min_side(cast: Cast, old_open: None) -> None:
    client = client_for(cast.per)
    response = client.get("/gammel/min-side/", follow=True)
    assert response.redirect_chain == [("/min-side/", 302)]
    assert "The old version has no such page" in response.content.decode()
    assert client.get("/gammel/finnes-ikke/").status_code == 404
    with time_machine.travel(FIRST_MINUTE_CLOSED, tick=False):
        response = client.get("/gammel/min-side/")
    assert response["Location"] == "/min-side/"
