"""Limits and caches (issue 12, findings 10 and 11): nothing a request sends makes a worker
build without bound, and nothing personal is kept by a browser or a proxy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from access.forms import MAX_ORDER_LINES
from access.models import Order, SystemRole
from portal.models import RoleType
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for, grant


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _many_lines(count: int, total: int | None = None) -> dict[str, object]:
    role = SystemRole.objects.get(code="lonnsmedarbeider")
    data: dict[str, object] = {
        "omrade": "lonn",
        "step": "review",
        "submission_key": "7f3c1a52-1d7b-4a57-9d2b-2b1c1a0e4f11",
        "form-TOTAL_FORMS": str(total or count),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "30",
    }
    for index in range(count):
        data[f"form-{index}-system_role"] = role.pk
        data[f"form-{index}-action"] = "grant"
        data[f"form-{index}-valid_from"] = "01.01.2099"
        data[f"form-{index}-new_person_name"] = f"Ny {index}"
        data[f"form-{index}-new_person_email"] = f"ny{index}@example.no"
    return data


@pytest.mark.parametrize("who", ["kari", "per", "nina"])
def test_a_thousand_order_lines_build_at_most_the_cap(cast: Cast, who: str) -> None:
    from django.db import connection

    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    client = client_for(getattr(cast, who))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/tilganger/bestill/", _many_lines(2, total=1000), HTTP_ACCEPT_LANGUAGE="nb"
        )
    # The orderer is told the limit; the plain member and the outsider are refused as before.
    assert response.status_code in {400, 403}
    assert len(queries) < 20 * MAX_ORDER_LINES
    assert not Order.objects.exists()
    if who == "kari":
        assert f"{MAX_ORDER_LINES}" in response.content.decode()


def test_a_thousand_filled_order_lines_are_refused_before_any_work(cast: Cast) -> None:
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER, dt.date(2022, 1, 1))
    response = client_for(cast.kari).post(
        "/tilganger/bestill/", _many_lines(1000), HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 400  # Django's cap on the number of fields
    assert "Forespørselen kunne ikke leses" in response.content.decode()
    assert not Order.objects.exists()


def test_pages_and_files_with_personal_data_are_never_cached(cast: Cast) -> None:
    case = make_case(cast.fjordetaten, cast.per, with_attachment=True)
    attachment = case.attachments.get()
    client = client_for(cast.per)
    for path in (
        "/",
        "/saker/",
        "/min-side/",
        f"/saker/{case.number}/",
        f"/saker/{case.number}/vedlegg/{attachment.pk}/",
        "/saker/eksport.xlsx",
        "/min-side/tilganger.xlsx",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        control = response["Cache-Control"]
        assert "no-store" in control, path
        assert "private" in control, path


def test_the_outsiders_and_anonymous_answers_are_not_cached_either(cast: Cast) -> None:
    case = make_case(cast.fjordetaten, cast.per)
    assert "no-store" in client_for(cast.nina).get(f"/saker/{case.number}/")["Cache-Control"]
    assert "no-store" in Client().get("/logg-inn/")["Cache-Control"]


def test_server_timing_is_sent_only_when_turned_on(cast: Cast, settings) -> None:
    assert "Server-Timing" not in client_for(cast.per).get("/saker/")
    settings.SERVER_TIMING = True
    settings.MIDDLEWARE = list(settings.MIDDLEWARE)  # rebuilt with the setting on
    assert client_for(cast.per).get("/saker/")["Server-Timing"].startswith("app;dur=")
