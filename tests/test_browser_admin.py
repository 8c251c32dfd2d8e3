"""The admin as a Team lønn member sees it, in real Chromium: zero axe-core violations.

Every admin the team may open (Django's registry, so a new admin is checked as
soon as it is registered): its change list and the change page of one of the
team's rows (or its add page where it has no rows), plus the login page and the
index. One browser context; each page is one ``page.goto``. The yes/no icons have
Norwegian text, not Django's "True"/"False".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from portal.models import User
from tests import test_admin_gate as gate
from tests.browser import axe_violations
from tests.conftest import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

staff = gate.staff
two_sides = gate.two_sides


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _pages_of(user: User, rows: dict[type, tuple[Any, ...]]) -> list[str]:
    """The change list and one change (or add) page of every admin ``user`` may open."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = []
    for model, model_admin in admin.site._registry.items():
        if not (
            model_admin.has_module_permission(request)
            and model_admin.has_view_or_change_permission(request)
        ):
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        if model in rows:
            urls.append(reverse(f"{name}_change", args=[rows[model][0].pk]))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{name}_add"))
    return urls


def test_the_admin_a_payroll_team_member_sees_has_no_axe_violations(
    page: Any, cast: Cast, staff: dict[str, User], two_sides: dict[type, tuple[Any, ...]]
) -> None:
    lena = User.objects.get(pk=staff["lena"].pk)  # Team lønn's own permissions, nothing added
    found: dict[str, list[str]] = {}

    def check(url: str) -> None:
        violations = axe_violations(page)
        if violations:
            found[url] = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in violations]

    # The admin's login is the portal's throttled form (tests/test_admin_login.py).
    page.goto("/admin/login/")
    assert "/logg-inn/" in page.url
    check("/admin/login/")
    page.get_by_label("Brukernavn", exact=True).fill("lena")
    page.get_by_label("Passord", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logg inn", exact=True).click()
    assert page.url.endswith("/admin/")
    check("/admin/")

    urls = _pages_of(lena, two_sides)
    assert len(urls) >= 20
    for url in urls:
        response = page.goto(url)
        assert response is not None, url
        assert response.status == 200, url
        check(url)
        # Django's yes/no icons say "True"/"False"; here they speak Norwegian.
        english = page.locator('img[alt="True"], img[alt="False"], img[alt="None"]')
        assert english.count() == 0, url
    assert found == {}, json.dumps(found, indent=2)
