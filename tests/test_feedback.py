from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

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
