"""Login through a real OpenID Connect provider (oidc-provider on Node, tests/oidc/).

The portal side runs in Django's test client; the provider side is a real HTTP
server the test drives like a browser (``requests``), and the portal's backend
calls its token, userinfo and JWKS endpoints over HTTP.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from portal import version
from portal.middleware import LAST_SEEN_SESSION_KEY
from portal.models import Membership, User
from portal.oidc import PortalOIDCBackend, org_numbers_from_claim
from portal.organisations import ACTIVE_ORG_SESSION_KEY
from tests.cases_helpers import make_case
from tests.conftest import PASSWORD, Cast, client_for
from tests.oidc.fixtures import (
    assert_refused,
    configure_portal,
    log_in,
    query_of,
    start_login,
)
from tests.oidc.support import AFTER_LOGOUT, CLIENT_ID, TestProvider, browser, run_provider


@pytest.fixture(autouse=True)
def _english_by_default(settings: Any) -> None:
    """The assertions read the English texts; a request without a language gets them."""
    settings.LANGUAGE_CODE = "en"


ROOT = Path(__file__).resolve().parent.parent
FUTURE = dt.date(2999, 12, 31)


# --- The authorization request ------------------------------------------------------


def test_direct_link_starts_the_login_with_pkce_nonce_state_and_the_organisation_hint(
    accounts: Cast, oidc: TestProvider
) -> None:
    client = Client()
    response = client.get("/inn/fjordetaten/")
    assert response.status_code == 302
    assert response["Location"] == "/oidc/authenticate/?virksomhet=fjordetaten"
    authorize_url = start_login(client, response["Location"])
    assert authorize_url.startswith(f"{oidc.issuer}/auth?")
    sent = query_of(authorize_url)
    assert sent["code_challenge_method"] == "S256"
    assert len(sent["code_challenge"]) == 43  # base64url of a SHA-256
    assert len(sent["nonce"]) >= 32
    assert len(sent["state"]) >= 32
    assert sent["org"] == accounts.fjordetaten.org_number
    assert sent["client_id"] == CLIENT_ID
    assert set(sent["scope"].split()) >= {"openid", "email", "profile", "org"}
    # The provider itself received exactly that, and showed the hint on its login page.
    page = browser().get(authorize_url, timeout=10)
    assert f'<p id="org-hint">{accounts.fjordetaten.org_number}</p>' in page.text
    received = oidc.authorizations()[-1]
    assert received["state"] == sent["state"]
    assert received["code_challenge_method"] == "S256"
    assert received["nonce"] == sent["nonce"]
    assert received["org"] == accounts.fjordetaten.org_number


def test_a_plain_login_sends_no_organisation_hint(accounts: Cast, oidc: TestProvider) -> None:
    sent = query_of(start_login(Client()))
    assert "org" not in sent
    assert sent["code_challenge_method"] == "S256"


# --- A successful login -----------------------------------------------------------------


def test_direct_link_login_lands_in_the_new_version_with_the_organisation_active(
    accounts: Cast, oidc: TestProvider, settings: Any
) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE  # the old version is open: a plain login would ask
    client = Client()
    response = log_in(client, oidc, "sub-mona", "/inn/kystdirektoratet/")
    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    session = client.session
    assert session[SESSION_KEY] == str(accounts.mona.pk)
    assert session[ACTIVE_ORG_SESSION_KEY] == accounts.kystdir.pk  # the link beats the claim
    assert session[version.SESSION_KEY] == version.NEW
    start = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You are working in Kystdirektoratet" in start


def test_plain_login_lands_on_the_version_choice_while_the_old_version_is_open(
    accounts: Cast, oidc: TestProvider, settings: Any
) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE
    response = log_in(Client(), oidc, "sub-kari")
    assert response["Location"] == reverse("portal:version_choice")


def test_organisation_claim_preselects_but_never_grants_membership(
    accounts: Cast, oidc: TestProvider
) -> None:
    oidc.set_claims("sub-mona", org=accounts.kystdir.org_number)
    mona = Client()
    log_in(mona, oidc, "sub-mona")
    assert mona.session[ACTIVE_ORG_SESSION_KEY] == accounts.kystdir.pk

    oidc.set_claims("sub-kari", org=[accounts.kystdir.org_number])  # not hers
    kari = Client()
    response = log_in(kari, oidc, "sub-kari")
    assert response["Location"] == reverse("start")
    kari.get(response["Location"])
    assert kari.session[ACTIVE_ORG_SESSION_KEY] == accounts.fjordetaten.pk
    assert not Membership.objects.filter(user=accounts.kari, organisation=accounts.kystdir).exists()


def test_a_direct_link_to_someone_elses_organisation_grants_nothing(
    accounts: Cast, oidc: TestProvider
) -> None:
    client = Client()
    response = log_in(client, oidc, "sub-kari", "/inn/kystdirektoratet/")
    assert response["Location"] == reverse("start")
    assert client.session[ACTIVE_ORG_SESSION_KEY] == accounts.fjordetaten.pk
    assert not Membership.objects.filter(user=accounts.kari, organisation=accounts.kystdir).exists()
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You are not registered as a member of Kystdirektoratet" in page


def test_users_are_matched_on_sub_never_on_email(accounts: Cast, oidc: TestProvider) -> None:
    # Per has no sub yet; the provider's account for someone else claims Per's address.
    oidc.set_claims("sub-stranger", name="Not Per", email=accounts.per.email)
    client = Client()
    response = log_in(client, oidc, "sub-stranger")
    stranger = User.objects.get(oidc_sub="sub-stranger")
    assert stranger.pk != accounts.per.pk
    assert client.session[SESSION_KEY] == str(stranger.pk)
    assert not stranger.has_usable_password()
    assert response["Location"] == reverse("no_membership")


def test_second_login_updates_name_and_email_from_the_claims(
    accounts: Cast, oidc: TestProvider
) -> None:
    log_in(Client(), oidc, "sub-kari")
    kari = User.objects.get(pk=accounts.kari.pk)
    assert (kari.first_name, kari.last_name, kari.email) == (
        "Kari",
        "Nordmann",
        "kari.nordmann@fjordetaten.example",
    )
    oidc.set_claims(
        "sub-kari",
        name="Kari Fjell",
        given_name="Kari Marie",
        family_name="Fjell",
        email="kari.fjell@fjordetaten.example",
    )
    client = Client()
    log_in(client, oidc, "sub-kari")
    kari.refresh_from_db()
    assert (kari.first_name, kari.last_name, kari.email) == (
        "Kari Marie",
        "Fjell",
        "kari.fjell@fjordetaten.example",
    )
    assert kari.username == "kari"  # the same account, not a new one
    assert "Kari Marie Fjell" in client.get("/").content.decode()


def test_user_without_membership_is_told_whom_to_ask(cast: Cast, oidc: TestProvider) -> None:
    client = Client()
    response = log_in(client, oidc, "sub-nils")
    assert response.status_code == 302
    assert response["Location"] == reverse("no_membership")
    nils = User.objects.get(oidc_sub="sub-nils")
    assert (nils.first_name, nils.last_name, nils.email) == (
        "Nils",
        "Utenfor",
        "nils@elsewhere.example",
    )
    assert not nils.memberships.exists()  # the org claim 999999999 gave nothing
    page = client.get(reverse("no_membership"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "You are not a member of any organisation" in html
    assert "authorised orderer in your organisation" in html
    assert reverse("portal:contact") in html
    assert "nils@elsewhere.example" in html
    # A member is sent on to the start page; a visitor to the login.
    assert client_for(cast.per).get(reverse("no_membership"))["Location"] == reverse("start")
    assert Client().get(reverse("no_membership"))["Location"].startswith("/logg-inn/")


def test_a_deactivated_user_cannot_log_in(accounts: Cast, oidc: TestProvider) -> None:
    User.objects.filter(pk=accounts.kari.pk).update(is_active=False)
    client = Client()
    response = log_in(client, oidc, "sub-kari")
    assert response["Location"] == reverse("portal:login")
    assert SESSION_KEY not in client.session


def test_a_case_link_lands_on_the_case_through_the_list_and_the_provider(
    accounts: Cast, oidc: TestProvider, settings: Any
) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE  # the old version is open: still the new one
    case = make_case(accounts.kystdir, accounts.mona)
    link = f"/saker/{case.number}/"
    client = Client()
    login_page = client.get(link)["Location"]
    assert query_of(login_page) == {"next": link}
    start = f"{reverse('portal:organisation_link')}?virksomhet=kystdirektoratet&next={link}"
    response = log_in(client, oidc, "sub-mona", start)
    assert response["Location"] == link
    session = client.session
    assert session[ACTIVE_ORG_SESSION_KEY] == accounts.kystdir.pk
    assert session[version.SESSION_KEY] == version.NEW
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert case.number in page.content.decode()


def test_a_plain_provider_login_lands_on_next(accounts: Cast, oidc: TestProvider) -> None:
    response = log_in(Client(), oidc, "sub-kari", "/oidc/authenticate/?next=/saker/")
    assert response["Location"] == "/saker/"


def test_a_direct_links_next_off_the_site_or_into_the_old_version_is_dropped(
    accounts: Cast, oidc: TestProvider, settings: Any
) -> None:
    settings.OLD_VERSION_LAST_DAY = FUTURE
    for unsafe in ("https://evil.example/", reverse("old:list")):
        client = Client()
        response = log_in(client, oidc, "sub-kari", f"/inn/fjordetaten/?next={unsafe}")
        assert response["Location"] == reverse("start")
        assert client.session[version.SESSION_KEY] == version.NEW


# --- Refused logins ---------------------------------------------------------------------


def test_tampered_state_is_refused(accounts: Cast, oidc: TestProvider) -> None:
    client = Client()
    callback = oidc.log_in(start_login(client), "sub-kari", browser())
    state = query_of(callback)["state"]
    other = state[:-1] + ("A" if state[-1] != "A" else "B")
    tampered = callback.replace(f"state={state}", f"state={other}")
    assert tampered != callback
    assert_refused(client, client.get(tampered))
    assert not User.objects.filter(pk=accounts.kari.pk, last_login__isnull=False).exists()


def test_a_callback_without_a_login_started_here_is_refused(
    accounts: Cast, oidc: TestProvider
) -> None:
    callback = oidc.log_in(start_login(Client()), "sub-kari", browser())
    other_browser = Client()
    other_browser.get("/kontakt/")
    response = other_browser.get(callback)
    assert response.status_code == 302
    assert SESSION_KEY not in other_browser.session


def test_id_token_from_another_issuer_is_refused(
    accounts: Cast, oidc: TestProvider, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    callback = oidc.log_in(start_login(client), "sub-kari", browser())
    settings.OIDC_OP_ISSUER = "https://login.example.invalid"
    # Without RFC 9207's iss parameter, only the ID token tells the issuer.
    callback = callback.split("&iss=")[0]
    with caplog.at_level(logging.WARNING, logger="portal.login_views"):
        assert_refused(client, client.get(callback))
    assert "ID token issuer" in caplog.text


def test_answer_naming_another_issuer_is_refused(
    accounts: Cast, oidc: TestProvider, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    callback = oidc.log_in(start_login(client), "sub-kari", browser())
    settings.OIDC_OP_ISSUER = "https://login.example.invalid"
    with caplog.at_level(logging.WARNING, logger="portal.login_views"):
        assert_refused(client, client.get(callback))
    assert "names issuer" in caplog.text


def test_id_token_for_another_audience_is_refused(
    accounts: Cast,
    oidc: TestProvider,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client()
    callback = oidc.log_in(start_login(client), "sub-kari", browser())
    # As if the token had been issued to another client of the same provider.
    monkeypatch.setattr(PortalOIDCBackend, "expected_audience", lambda self: "another-client")
    with caplog.at_level(logging.WARNING, logger="portal.login_views"):
        assert_refused(client, client.get(callback))
    assert "audience" in caplog.text


def test_provider_error_is_refused(accounts: Cast, oidc: TestProvider) -> None:
    client = Client()
    state = query_of(start_login(client))["state"]
    response = client.get(f"/oidc/callback/?error=access_denied&state={state}")
    assert_refused(client, response)


def test_an_error_answer_from_a_link_elsewhere_logs_nobody_out(
    accounts: Cast, oidc: TestProvider
) -> None:
    kari = client_for(accounts.kari)
    for link in ("/oidc/callback/?error=x", "/oidc/callback/?error=access_denied&state=made-up"):
        response = kari.get(link)
        assert response.status_code == 302
        assert response["Location"] == reverse("start")
        assert kari.session[SESSION_KEY] == str(accounts.kari.pk)
    assert kari.get("/").status_code == 200


def test_an_error_answer_ends_only_the_login_this_browser_started(
    accounts: Cast, oidc: TestProvider
) -> None:
    waiting = Client()
    state = query_of(start_login(waiting))["state"]
    kari = client_for(accounts.kari)
    kari.get(f"/oidc/callback/?error=access_denied&state={state}")  # the other browser's state
    assert kari.session[SESSION_KEY] == str(accounts.kari.pk)
    assert state in waiting.session["oidc_states"]  # that login can still finish


def test_someone_elses_callback_changes_nothing_for_a_logged_in_person(
    accounts: Cast, oidc: TestProvider
) -> None:
    monas_callback = oidc.log_in(start_login(Client()), "sub-mona", browser())
    kari = client_for(accounts.kari)
    response = kari.get(monas_callback)
    assert response["Location"] == reverse("start")
    assert kari.session[SESSION_KEY] == str(accounts.kari.pk)
    assert "The login did not succeed" not in kari.get("/kontakt/").content.decode()


def test_reloading_the_callback_after_a_login_lands_where_the_login_went(
    accounts: Cast, oidc: TestProvider
) -> None:
    client = Client()
    case = "/saker/SAK-2024-0000001/"
    authorize_url = start_login(client, f"/oidc/authenticate/?next={case}")
    callback = oidc.log_in(authorize_url, "sub-kari", browser())
    assert client.get(callback)["Location"] == case
    again = client.get(callback)  # the browser's reload, or its back button
    assert again.status_code == 302
    assert again["Location"] == case
    assert client.session[SESSION_KEY] == str(accounts.kari.pk)
    assert "The login did not succeed" not in client.get("/kontakt/").content.decode()


# --- Sessions -------------------------------------------------------------------------


def test_login_cycles_the_session_key(accounts: Cast, oidc: TestProvider) -> None:
    client = Client()
    authorize_url = start_login(client)
    before = client.session.session_key
    assert before
    client.get(oidc.log_in(authorize_url, "sub-kari", browser()))
    assert client.session.session_key != before
    assert client.session[SESSION_KEY] == str(accounts.kari.pk)


def test_another_user_in_the_same_browser_never_sees_the_first_ones_session(
    accounts: Cast, oidc: TestProvider
) -> None:
    client = Client()
    log_in(client, oidc, "sub-kari")
    session = client.session
    session["left_by_kari"] = "her search"
    session.save()
    karis_key = session.session_key
    log_in(client, oidc, "sub-mona")  # another person at the provider, same portal browser
    session = client.session
    assert session[SESSION_KEY] == str(accounts.mona.pk)
    assert session.session_key != karis_key
    assert "left_by_kari" not in session
    assert session[ACTIVE_ORG_SESSION_KEY] == accounts.fjordetaten.pk


def test_logout_ends_the_portal_and_the_provider_session(
    accounts: Cast, oidc: TestProvider
) -> None:
    client = Client()
    at_provider = browser()
    log_in(client, oidc, "sub-kari", at_provider=at_provider)
    id_token = client.session["oidc_id_token"]
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{oidc.issuer}/session/end?")
    assert query_of(location) == {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": AFTER_LOGOUT,
        "client_id": CLIENT_ID,
    }
    assert SESSION_KEY not in client.session
    # The provider accepts the request: it asks the person to confirm signing out there.
    confirm = at_provider.get(location, timeout=10)
    assert confirm.status_code == 200
    assert "logout" in confirm.text.lower()


def test_password_login_logs_out_locally_even_with_oidc(accounts: Cast, oidc: TestProvider) -> None:
    client = Client()
    client.post(reverse("portal:login"), {"username": "per", "password": PASSWORD})
    assert client.session[SESSION_KEY] == str(accounts.per.pk)
    response = client.post(reverse("portal:logout"))
    assert response["Location"] == reverse("portal:login")
    assert client.get("/").status_code == 302


def test_idle_session_is_logged_out(cast: Cast, settings: Any) -> None:
    settings.SESSION_IDLE_TIMEOUT = 15 * 60
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = client_for(cast.per)
        assert client.get("/").status_code == 200
        clock.shift(dt.timedelta(minutes=14))
        assert client.get("/").status_code == 200  # still active
        clock.shift(dt.timedelta(minutes=14))
        assert client.get("/").status_code == 200  # 14 minutes since the last request
        assert client.session[LAST_SEEN_SESSION_KEY] == int(start.timestamp()) + 28 * 60
        clock.shift(dt.timedelta(minutes=16))
        response = client.get("/kontakt/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert "You were logged out because you had not been active" in response.content.decode()
        assert SESSION_KEY not in client.session
        assert client.get("/").status_code == 302


def test_idle_timeout_can_be_turned_off(cast: Cast, settings: Any) -> None:
    settings.SESSION_IDLE_TIMEOUT = 0
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = client_for(cast.per)
        assert client.get("/").status_code == 200
        clock.shift(dt.timedelta(hours=5))
        assert client.get("/").status_code == 200


# --- Configuration ----------------------------------------------------------------------


def _settings_with(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return _python(env, "-c", f"import portal.settings as s; {code}")


def _python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        check=False,
    )


BASE = "https://login.example"
CONNECTION = {
    "OIDC_OP_ISSUER": BASE,
    "OIDC_RP_CLIENT_ID": "kundesenter",
    "OIDC_RP_CLIENT_SECRET": "s3cret",
}
EXPLICIT_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{BASE}/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": f"{BASE}/token",
    "OIDC_OP_USER_ENDPOINT": f"{BASE}/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": f"{BASE}/jwks",
}


def test_oidc_is_configured_entirely_by_the_environment() -> None:
    off = _settings_with({}, "print(s.OIDC_ENABLED, hasattr(s, 'AUTHENTICATION_BACKENDS'))")
    assert off.stdout.split() == ["False", "False"], off.stderr
    on = _settings_with(
        {
            **CONNECTION,
            **EXPLICIT_ENDPOINTS,
            "OIDC_OP_LOGOUT_ENDPOINT": "https://logout.example/end",
        },
        "print(s.OIDC_ENABLED, s.AUTHENTICATION_BACKENDS[0], 'mozilla_django_oidc' in "
        "s.INSTALLED_APPS, s.OIDC_RP_SIGN_ALGO, s.OIDC_CLOCK_LEEWAY); "
        "print(s.CONTENT_SECURITY_POLICY)",
    )
    first, csp = on.stdout.splitlines()
    assert first.split() == ["True", "portal.oidc.PortalOIDCBackend", "True", "RS256", "60"], (
        on.stderr
    )
    assert "form-action 'self' https://login.example https://logout.example;" in csp


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _python(env, "manage.py", "check")


def test_issuer_client_and_secret_are_a_complete_configuration() -> None:
    """The endpoints then come from the issuer's discovery document, fetched at first use
    (not by the check: it must pass without the network)."""
    for env in (CONNECTION, {**CONNECTION, **EXPLICIT_ENDPOINTS}, {}):
        result = _check(env)
        assert result.returncode == 0, result.stderr
        assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"OIDC_OP_ISSUER": BASE}, "portal.E102"),
        ({"OIDC_RP_CLIENT_ID": "kundesenter"}, "portal.E101"),
        ({**CONNECTION, "OIDC_RP_CLIENT_SECRET": ""}, "portal.E103"),
        ({**CONNECTION, "OIDC_OP_TOKEN_ENDPOINT": f"{BASE}/token"}, "portal.E104"),
        ({**CONNECTION, "OIDC_OP_DISCOVERY_URL": "login.example/.well-known"}, "portal.E105"),
        ({**CONNECTION, "OIDC_RP_SIGN_ALGO": "none"}, "portal.E106"),
        ({**CONNECTION, "OIDC_CLOCK_LEEWAY": "-5"}, "portal.E107"),
    ],
    ids=[
        "issuer-without-client",
        "client-without-issuer",
        "no-secret",
        "some-endpoints-and-no-discovery",
        "discovery-url-not-absolute",
        "unsigned-tokens",
        "negative-leeway",
    ],
)
def test_an_incomplete_configuration_fails_the_check_and_the_start(
    env: dict[str, str], error: str
) -> None:
    result = _check(env)
    assert result.returncode != 0
    assert error in result.stderr, result.stderr
    # A WSGI server runs no checks of its own: loading the application does.
    started = _python(env, "-c", "import portal.wsgi")
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert error in started.stderr


def test_organisation_numbers_are_read_from_the_claim() -> None:
    assert org_numbers_from_claim("981000013") == ["981000013"]
    assert org_numbers_from_claim(["981 000 013", "NO:ORGNR:981000021"]) == [
        "981000013",
        "981000021",
    ]
    assert org_numbers_from_claim(None) == []
    assert org_numbers_from_claim(["12345", 981000013, "1981000013"]) == []


# --- In a real browser ----------------------------------------------------------------


@pytest.fixture
def live_provider(live_server: Any, settings: Any, tmp_path: Path) -> Iterator[TestProvider]:
    """A provider of its own whose client calls back to the live server."""
    for provider in run_provider(tmp_path, portal=live_server.url):
        configure_portal(settings, provider)
        yield provider


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_from_the_login_page_list_to_the_start_page_and_out_again(
    page: Any, cast: Cast, live_server: Any, live_provider: TestProvider
) -> None:
    User.objects.filter(pk=cast.mona.pk).update(oidc_sub="sub-mona")
    live_provider.set_claims("sub-mona", org=cast.fjordetaten.org_number)
    csp_reports: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_reports.append(message.text) if "Content Security" in message.text else None
        ),
    )
    page.goto("/logg-inn/")
    page.locator("#org_virksomhet").select_option("kystdirektoratet")
    page.locator("form.org-picker button[type=submit]").click()
    page.wait_for_url(f"{live_provider.issuer}/interaction/**")
    assert page.locator("#org-hint").inner_text() == cast.kystdir.org_number
    page.get_by_label("Test account").fill("sub-mona")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("#organisation-select").input_value() == str(cast.kystdir.pk)
    assert page.locator(".site-header__name").inner_text() == "Mona Lid"

    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url(f"{live_provider.issuer}/session/end**")
    assert csp_reports == []
