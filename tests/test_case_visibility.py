"""Rule 1: who sees which case, on the case page and for attachment downloads."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from cases.models import Case
from portal.models import RoleType
from tests.cases_helpers import PDF_BYTES, bytes_of, make_case
from tests.conftest import Cast, client_for, grant


@pytest.fixture
def cases(cast: Cast, settings) -> dict[str, Case]:
    settings.MEDIA_ROOT = settings.MEDIA_ROOT.parent / "test-media"
    # Kari has utvidet tilgang lønn in Fjordetaten; Per is a plain colleague.
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    return {
        "per_payroll": make_case(cast.fjordetaten, cast.per, "lonn", with_attachment=True),
        "per_accounting": make_case(cast.fjordetaten, cast.per, "regnskap", with_attachment=True),
        "phone_payroll": make_case(
            cast.fjordetaten, None, "lonn", channel=Case.Channel.PHONE, actor=cast.siv
        ),
        "email_accounting": make_case(
            cast.fjordetaten, None, "regnskap", channel=Case.Channel.EMAIL, actor=cast.siv
        ),
        "nina_payroll": make_case(cast.kystdir, cast.nina, "lonn", with_attachment=True),
    }


# Who sees which case: the visibility matrix of issue 3.
MATRIX = {
    "per": {"per_payroll", "per_accounting"},  # the reporter: own cases only
    "ola": set(),  # colleague without utvidet tilgang
    "kari": {"per_payroll", "phone_payroll"},  # utvidet tilgang lønn: all payroll cases
    "nina": {"nina_payroll"},  # another organisation
    "mona": set(),  # member of both, no extended access
    "siv": set(),  # staff work in the admin, not on customer pages
}


def _expected(who: str, name: str) -> int:
    """200 where rule 1 lets them see it; the same 404 for every case they may not see;
    403 (the gate's page, whatever the number) for someone with no organisation at all."""
    if who == "siv":
        return 403
    return 200 if name in MATRIX[who] else 404


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_case_page_visibility_matrix(cast: Cast, cases: dict[str, Case], who: str) -> None:
    client = client_for(getattr(cast, who))
    for name, case in cases.items():
        status = client.get(f"/saker/{case.number}/").status_code
        assert status == _expected(who, name), f"{who} on {name}: {status}"


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_attachment_download_visibility_matrix(
    cast: Cast, cases: dict[str, Case], who: str
) -> None:
    client = client_for(getattr(cast, who))
    for name, case in cases.items():
        for attachment in case.attachments.all():
            response = client.get(f"/saker/{case.number}/vedlegg/{attachment.pk}/")
            assert response.status_code == _expected(who, name), f"{who} on {name}"


def test_download_is_an_attachment_with_nosniff(cast: Cast, cases: dict[str, Case]) -> None:
    case = cases["per_payroll"]
    attachment = case.attachments.get()
    response = client_for(cast.per).get(f"/saker/{case.number}/vedlegg/{attachment.pk}/")
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="vedlegg.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert bytes_of(response) == PDF_BYTES


def test_attachment_of_another_case_is_404_through_this_case(
    cast: Cast, cases: dict[str, Case]
) -> None:
    own = cases["per_payroll"]
    foreign = cases["nina_payroll"].attachments.get()
    response = client_for(cast.per).get(f"/saker/{own.number}/vedlegg/{foreign.pk}/")
    assert response.status_code == 404


def test_outsider_gets_the_same_404_for_existing_and_missing_cases(
    cast: Cast, cases: dict[str, Case]
) -> None:
    client = client_for(cast.nina)
    existing = client.get(f"/saker/{cases['per_payroll'].number}/")
    missing = client.get("/saker/SAK-2022-9999999/")
    assert existing.status_code == missing.status_code == 404

    # Identical but for the per-render CSRF masking and the address itself.
    def normalise(content: bytes, number: str) -> bytes:
        content = content.replace(number.encode(), b"NUMBER")
        return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)

    assert normalise(existing.content, cases["per_payroll"].number) == normalise(
        missing.content, "SAK-2022-9999999"
    )


def test_anonymous_is_sent_to_login(cases: dict[str, Case]) -> None:
    response = Client().get(f"/saker/{cases['per_payroll'].number}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/logg-inn/")


def test_expired_extended_access_sees_only_own_cases(cast: Cast, cases: dict[str, Case]) -> None:
    grant(
        cast.eva,
        cast.fjordetaten,
        RoleType.EXTENDED_PAYROLL,
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2021, 12, 31),
    )
    response = client_for(cast.eva).get(f"/saker/{cases['phone_payroll'].number}/")
    assert response.status_code == 404


def test_extended_access_in_one_organisation_does_not_reach_another(
    cast: Cast, cases: dict[str, Case]
) -> None:
    grant(cast.mona, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    client = client_for(cast.mona)
    assert client.get(f"/saker/{cases['phone_payroll'].number}/").status_code == 200
    assert client.get(f"/saker/{cases['nina_payroll'].number}/").status_code == 404


def test_visible_to_needs_membership_even_for_own_cases(cast: Cast, cases: dict[str, Case]) -> None:
    case = cases["per_payroll"]
    cast.per.memberships.all().delete()
    # A member of no organisation any more: the gate's page, the same for every number.
    assert client_for(cast.per).get(f"/saker/{case.number}/").status_code == 403
    assert client_for(cast.per).get("/saker/SAK-2000-0000001/").status_code == 403
    assert not Case.objects.visible_to(cast.per, cast.fjordetaten).exists()


def test_internal_attachment_is_never_downloadable_by_customers(
    cast: Cast, cases: dict[str, Case]
) -> None:
    from cases.services import do_add_message
    from cases.uploads import check_upload
    from tests.cases_helpers import pdf

    case = cases["per_payroll"]
    cast.siv.is_superuser = True
    cast.siv.save()
    do_add_message(
        actor=cast.siv,
        case=case,
        body="intern",
        internal=True,
        uploads=[check_upload(pdf("x.pdf"))],
    )
    internal = case.attachments.get(is_internal=True)
    response = client_for(cast.per).get(f"/saker/{case.number}/vedlegg/{internal.pk}/")
    assert response.status_code == 404
