from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from portal.accessibility import KNOWN_SHORTCOMINGS, REVIEWED
from portal.models import ContactCentre
from tests.conftest import Cast, client_for, make_user


def test_anonymous_visitor_is_sent_to_login(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/logg-inn/")


def test_start_page_for_plain_member(cast: Cast) -> None:
    response = client_for(cast.per).get("/", HTTP_ACCEPT_LANGUAGE="nb")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Velkommen, Per" in html
    assert 'href="#main"' in html  # the skip link
    assert '<main id="main"' in html


def test_outsider_without_membership_is_told_whom_to_ask(cast: Cast) -> None:
    html = client_for(cast.siv).get("/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "ikke medlem av noen virksomhet" in html


def test_contact_page_shows_both_centres_in_the_readers_language(cast: Cast) -> None:
    ContactCentre.objects.update_or_create(
        area="lonn",
        defaults={
            "name_nb": "Kundesenter for lønn",
            "name_en": "Payroll customer centre",
            "phone": "+47 400 00 001",
            "email": "lonn@example.no",
            "opening_hours_nb": "Hverdager 8–15",
            "opening_hours_en": "Weekdays 8–15",
        },
    )
    norwegian = Client().get("/kontakt/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    english = Client().get("/kontakt/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Kundesenter for lønn" in norwegian
    assert "Hverdager 8–15" in norwegian
    assert "Payroll customer centre" in english
    assert "tel:+4740000001" in english
    # A long address may wrap where a reader expects, not mid-word (issue 13).
    assert 'href="mailto:lonn@example.no">lonn@<wbr>example<wbr>.no</a>' in english
    assert client_for(cast.nina).get("/kontakt/").status_code == 200


def test_accessibility_statement_is_linked_from_every_page(cast: Cast) -> None:
    html = client_for(cast.per).get("/").content.decode()
    assert reverse("portal:accessibility") in html
    assert Client().get(reverse("portal:accessibility")).status_code == 200


def test_accessibility_statement_lists_what_is_known_with_dates(cast: Cast) -> None:
    """The statement is dated and lists every known shortcoming, in every language."""
    for language, date in [("nb", "30.11.2026"), ("nn", "30.11.2026"), ("en", "30.11.2026")]:
        html = Client().get("/tilgjengelighet/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<time datetime="{REVIEWED:%Y-%m-%d}">{date}</time>' in html
        with translation.override(language):
            for item in KNOWN_SHORTCOMINGS:
                assert escape(str(item.what)) in html
                assert escape(str(item.workaround)) in html
    assert "We know of no breaches" not in html  # not while the list has entries
    assert all(item.known_since <= REVIEWED for item in KNOWN_SHORTCOMINGS)
    assert client_for(cast.per).get("/tilgjengelighet/").status_code == 200
    assert client_for(make_user("outsider")).get("/tilgjengelighet/").status_code == 200


def test_accessibility_statement_says_what_the_browser_test_checks() -> None:
    """The statement's "how we test" names the widths the layout walk uses."""
    from tests.test_browser_layout import WIDTHS

    html = Client().get("/tilgjengelighet/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    widths = ", ".join(str(width) for width in WIDTHS[:-1]) + f" and {WIDTHS[-1]} pixels"
    assert f"at {widths} wide" in html
    assert "axe-core" in html


def test_language_switch_changes_language_and_remembers_it_on_the_user(cast: Cast) -> None:
    client = client_for(cast.per)
    response = client.post(reverse("portal:set_language"), {"language": "en", "next": "/kontakt/"})
    assert response.status_code == 302
    assert response["Location"] == "/kontakt/"
    assert "Contact the customer centres" in client.get("/kontakt/").content.decode()
    cast.per.refresh_from_db()
    assert cast.per.language == "en"


def test_nynorsk_is_offered(db: None) -> None:
    html = Client().get("/logg-inn/", HTTP_ACCEPT_LANGUAGE="nn").content.decode()
    assert '<html lang="nn"' in html
    assert "Logg inn" in html


def test_unknown_page_is_a_styled_404(cast: Cast) -> None:
    response = client_for(cast.per).get("/finnes-ikke/", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 404
    assert "Fant ikke siden" in response.content.decode()


def test_health_answers_200_when_the_database_answers(db: None) -> None:
    response = Client().get("/helse/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "up",
        "queue": {"waiting": 0, "oldest_waiting_seconds": None, "running": 0, "workers": 0},
    }


def test_health_reports_the_queues_depth_and_oldest_job(db: None) -> None:
    from asgiref.sync import async_to_sync
    from procrastinate.contrib.django import app

    from portal.mail import send_email

    send_email.defer(email_id=1)
    send_email.defer(email_id=2)
    # One due later (a retry's wait) is not waiting yet; one taken by a live worker runs.
    send_email.configure(schedule_in={"hours": 1}).defer(email_id=3)
    worker = async_to_sync(app.job_manager.register_worker)()
    async_to_sync(app.job_manager.fetch_job)(None, worker)  # takes the first
    queue = Client().get("/helse/").json()["queue"]
    assert queue["waiting"] == 1
    assert queue["running"] == 1
    assert queue["workers"] == 1
    assert queue["oldest_waiting_seconds"] is not None
    assert 0 <= queue["oldest_waiting_seconds"] < 60
    async_to_sync(app.job_manager.unregister_worker)(worker)


def test_health_counts_the_longest_wait(db: None) -> None:
    from portal.mail import send_email

    job = send_email.defer(email_id=1)
    with connection.cursor() as cursor:  # the events' time is the database's own clock
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - interval '5 minutes' WHERE job_id = %s",
            [job],
        )
    send_email.defer(email_id=2)
    queue = Client().get("/helse/").json()["queue"]
    assert queue["waiting"] == 2
    assert 299 <= queue["oldest_waiting_seconds"] <= 330


def test_health_answers_503_when_the_database_does_not(db: None) -> None:
    with mock.patch("portal.queue.connection.cursor", side_effect=OperationalError("down")):
        response = Client().get("/helse/")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_dates_are_shown_dd_mm_yyyy_in_every_language(language: str) -> None:
    moment = dt.datetime(2022, 11, 11, 23, 30, tzinfo=dt.UTC)  # 12.11.2022 00:30 in Oslo
    template = Template("{{ day }}|{{ moment }}|{{ day|date:'SHORT_DATE_FORMAT' }}")
    with translation.override(language), timezone.override("Europe/Oslo"):
        text = template.render(Context({"day": dt.date(2022, 11, 18), "moment": moment}))
    assert text == "18.11.2022|12.11.2022 00:30|18.11.2022"
