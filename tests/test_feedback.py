from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Feedback
from tests.conftest import Cast, client_for

IDENTIFYING = ["per", "127.0.0.1", "Testesen", "per@example.no"]


def _row_text(row: Feedback) -> str:
    return " ".join(str(getattr(row, f.attname)) for f in Feedback._meta.concrete_fields)


def test_feedback_stores_page_answer_and_hour_but_nothing_about_the_person(cast: Cast) -> None:
    client = client_for(cast.per)
    response = client.post(
        reverse("portal:feedback"),
        {"page": "/kontakt/?q=secret", "answer": "nei"},
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 200
    row = Feedback.objects.get()
    assert row.page == "/kontakt/"  # the query string could hold what the person searched for
    assert row.answer == "nei"
    assert row.created_hour.minute == 0
    assert row.created_hour.second == 0
    field_names = {f.name for f in Feedback._meta.concrete_fields}
    assert field_names == {"id", "page", "answer", "comment", "language", "created_hour"}
    session_key = client.session.session_key
    stored = _row_text(row)
    assert session_key
    assert session_key not in stored
    for value in IDENTIFYING:
        assert value not in stored


def test_optional_comment_is_added_to_the_same_answer(cast: Cast) -> None:
    client = client_for(cast.per)
    response = client.post(reverse("portal:feedback"), {"page": "/", "answer": "nei"})
    token = response.context["comment_form"]["token"].value()
    done = client.post(reverse("portal:feedback"), {"token": token, "comment": "Fant ikke skjema"})
    assert done.status_code == 200
    assert Feedback.objects.get().comment == "Fant ikke skjema"


def test_comment_cannot_be_overwritten_or_forged(cast: Cast) -> None:
    client = client_for(cast.per)
    response = client.post(reverse("portal:feedback"), {"page": "/", "answer": "ja"})
    token = response.context["comment_form"]["token"].value()
    client.post(reverse("portal:feedback"), {"token": token, "comment": "første"})
    again = client.post(reverse("portal:feedback"), {"token": token, "comment": "andre"})
    assert again.status_code == 400
    forged = client.post(reverse("portal:feedback"), {"token": "1:forged", "comment": "x"})
    assert forged.status_code == 400
    assert Feedback.objects.get().comment == "første"


def test_anonymous_visitor_can_answer_on_the_login_page(db: None) -> None:
    response = Client().post(reverse("portal:feedback"), {"page": "/logg-inn/", "answer": "ja"})
    assert response.status_code == 200
    assert Feedback.objects.get().page == "/logg-inn/"


@pytest.mark.parametrize("payload", [{"page": "/", "answer": "kanskje"}, {"page": "/"}, {}])
def test_malformed_feedback_is_refused_and_stores_nothing(
    cast: Cast, payload: dict[str, str]
) -> None:
    response = client_for(cast.nina).post(reverse("portal:feedback"), payload)
    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_feedback_page_outside_the_site_is_stored_as_root(db: None) -> None:
    Client().post(reverse("portal:feedback"), {"page": "https://evil.example/x", "answer": "ja"})
    assert Feedback.objects.get().page == "/"


def test_htmx_answer_gets_the_partial(db: None) -> None:
    response = Client().post(
        reverse("portal:feedback"), {"page": "/", "answer": "ja"}, HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in response.content
    assert b'id="feedback"' in response.content


def test_feedback_box_is_on_every_page(cast: Cast) -> None:
    for url in ["/", "/kontakt/", "/tilgjengelighet/"]:
        assert b'id="feedback"' in client_for(cast.per).get(url).content
    assert b'id="feedback"' in Client().get("/logg-inn/").content


def test_staff_read_feedback_in_admin_but_cannot_edit(cast: Cast) -> None:
    Feedback.objects.create(page="/", answer="ja", created_hour="2022-11-11T10:00Z")
    siv = cast.siv
    siv.is_superuser = True
    siv.save()
    client = client_for(siv)
    assert client.get("/admin/portal/feedback/").status_code == 200
    assert client.get("/admin/portal/feedback/add/").status_code == 403
    assert client_for(cast.per).get("/admin/portal/feedback/").status_code == 302


def answer(client: Client, **extra: Any) -> Any:
    return client.post(reverse("portal:feedback"), {"page": "/kontakt/", "answer": "ja"}, **extra)


def test_after_ten_answers_from_one_address_the_next_is_refused_and_nothing_stored(
    db: None,
) -> None:
    client = Client(REMOTE_ADDR="192.0.2.1")
    assert [answer(client).status_code for _ in range(10)] == [200] * 10
    refused = answer(client, HTTP_ACCEPT_LANGUAGE="nb")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 600
    assert "Tilbakemeldingen din ble ikke lagret" in refused.content.decode()
    assert Feedback.objects.count() == 10
    assert answer(Client(REMOTE_ADDR="192.0.2.2")).status_code == 200


def test_comments_count_towards_the_limit_too(db: None) -> None:
    client = Client(REMOTE_ADDR="192.0.2.1")
    token = answer(client).context["comment_form"]["token"].value()
    for _ in range(9):
        answer(client)
    refused = client.post(reverse("portal:feedback"), {"token": token, "comment": "Hei"})
    assert refused.status_code == 429
    assert not Feedback.objects.exclude(comment="").exists()


def test_htmx_gets_the_refusal_as_the_feedback_box(db: None) -> None:
    client = Client(REMOTE_ADDR="192.0.2.1")
    for _ in range(10):
        answer(client)
    refused = answer(client, HTTP_HX_REQUEST="true")
    assert refused.status_code == 429
    assert b"<html" not in refused.content
    assert b'id="feedback"' in refused.content


def test_the_limit_frees_after_ten_minutes(db: None) -> None:
    client = Client(REMOTE_ADDR="192.0.2.1")
    with time_machine.travel(dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(10):
            answer(client)
        assert answer(client).status_code == 429
        clock.shift(10 * 60 + 2)
        assert answer(client).status_code == 200


def test_the_count_is_kept_under_a_hash_of_the_address_only(db: None) -> None:
    # The cache table outlives transactional tests (browser, OIDC keys): start empty,
    # so what is counted is what one answer writes.
    cache.clear()
    answer(Client(REMOTE_ADDR="192.0.2.1"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, value, expires FROM portal_cache")
        rows = cursor.fetchall()
    assert len(rows) == 1
    key, value, expires = rows[0]
    assert "192.0.2.1" not in key
    assert "192.0.2.1" not in value
    assert expires <= timezone.now() + dt.timedelta(minutes=10)
