from __future__ import annotations

import datetime as dt

import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Cast, client_for


def test_security_headers_on_a_normal_page(cast: Cast) -> None:
    response = client_for(cast.per).get("/kontakt/", secure=True)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


def test_cookies_are_secure_and_http_only(cast: Cast) -> None:
    response = Client().post(
        reverse("portal:login"), {"username": "per", "password": PASSWORD}, secure=True
    )
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["secure"]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"


def test_pages_have_no_inline_script_or_style(cast: Cast) -> None:
    html = client_for(cast.mona).get("/").content.decode()
    assert "<script>" not in html
    assert " style=" not in html
    assert "<style" not in html


def test_login_page_is_translated_and_styled(db: None) -> None:
    response = Client().get(reverse("portal:login"), HTTP_ACCEPT_LANGUAGE="nb")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Logg inn" in html
    assert 'class="ds-input"' in html


def test_wrong_password_keeps_the_username_and_says_why(cast: Cast) -> None:
    response = Client().post(
        reverse("portal:login"), {"username": "per", "password": "feil"}, HTTP_ACCEPT_LANGUAGE="nb"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="per"' in html
    assert "Brukernavnet eller passordet er feil" in html


def test_login_throttle_refuses_the_right_password_too_until_the_wait_is_over(
    cast: Cast,
) -> None:
    # So a guesser learns nothing from an early attempt. The waits themselves:
    # tests/test_login_throttle.py.
    client = Client()
    with time_machine.travel(dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        for _ in range(5):
            client.post(reverse("portal:login"), {"username": "per", "password": "feil"})
        response = client.post(
            reverse("portal:login"),
            {"username": "per", "password": PASSWORD},
            HTTP_ACCEPT_LANGUAGE="nb",
        )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "For mange mislykkede innloggingsforsøk" in response.content.decode()


def test_successful_login_cycles_the_session_key(cast: Cast) -> None:
    cache.clear()
    client = Client()
    client.get(reverse("portal:login"))
    client.post(reverse("portal:feedback"), {"page": "/", "answer": "ja"})
    before = client.session.session_key
    client.post(reverse("portal:login"), {"username": "per", "password": PASSWORD})
    assert client.session.session_key != before


def test_logout_requires_post_and_ends_the_session(cast: Cast) -> None:
    client = client_for(cast.per)
    assert client.get(reverse("portal:logout")).status_code == 405
    client.post(reverse("portal:logout"))
    assert client.get("/").status_code == 302


def test_admin_is_for_staff_only(cast: Cast) -> None:
    assert client_for(cast.per).get("/admin/").status_code == 302
    assert client_for(cast.nina).get("/admin/portal/organisation/").status_code == 302
    assert client_for(cast.siv).get("/admin/").status_code == 200
