"""The admin's login is the portal's throttled login (issue 12, finding 2).

Before, /admin/login/ was Django's own form, which took a password without
the throttle; staff have the widest powers.
"""

from __future__ import annotations

from urllib.parse import quote

from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Cast, client_for


def test_admin_login_page_leads_to_the_portal_login_keeping_next(db: None) -> None:
    response = Client().get("/admin/login/?next=/admin/portal/feedback/")
    assert response.status_code == 302
    assert response["Location"] == "/logg-inn/?next=" + quote("/admin/portal/feedback/", safe="")


def test_anonymous_visit_to_the_admin_ends_at_the_throttled_form(db: None) -> None:
    response = Client().get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/logg-inn/?next=%2Fadmin%2F"
    assert response.templates[0].name == "portal/login.html"


def test_posting_credentials_to_the_admin_login_logs_nobody_in(cast: Cast) -> None:
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "siv", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/logg-inn/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_staff_log_in_through_the_portal_and_land_back_in_the_admin(cast: Cast) -> None:
    client = Client()
    response = client.post(
        reverse("portal:login"), {"username": "siv", "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_logged_in_staff_opening_the_admin_login_go_to_the_admin(cast: Cast) -> None:
    response = client_for(cast.siv).get("/admin/login/?next=/admin/portal/organisation/")
    assert response["Location"] == "/admin/portal/organisation/"


def test_logged_in_member_who_is_not_staff_gets_a_clear_answer_not_a_loop(cast: Cast) -> None:
    response = client_for(cast.per).get("/admin/", follow=True, HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1
    assert "Du er logget inn som Per Testesen" in response.content.decode()


def test_admin_login_does_not_send_anyone_to_another_site_or_round_in_circles(
    cast: Cast,
) -> None:
    response = Client().get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/logg-inn/?next=%2Fadmin%2F"
    itself = client_for(cast.siv).get("/admin/login/?next=/admin/login/")
    assert itself["Location"] == "/admin/"
