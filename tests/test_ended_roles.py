"""A role that has ended is named to the person who held it, on Min side and the order
page: what, through which day (Oslo), and whom to ask to get it back."""

from __future__ import annotations

import datetime as dt

import time_machine

from access.overview import ENDED_ROLES_SHOWN_FOR_YEARS, ended_roles
from portal.models import RoleType
from tests.conftest import Cast, client_for, grant

PAGES = ("/min-side/", "/tilganger/bestill/")
# Noon in Oslo on 15.06.2025: the window of five years reaches back to 15.06.2020.
NOW = dt.datetime(2025, 6, 15, 10, 0, tzinfo=dt.UTC)


def _page(user, path: str, language: str = "en") -> str:
    return client_for(user).get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_eva_is_told_what_she_held_until_when_and_whom_to_ask(cast: Cast) -> None:
    grant(cast.eva, cast.fjordetaten, RoleType.EXTENDED_PAYROLL, valid_to=dt.date(2023, 6, 30))
    grant(cast.kari, cast.fjordetaten, RoleType.PAYROLL_ORDERER)
    with time_machine.travel(NOW, tick=False):
        for path in PAGES:
            html = _page(cast.eva, path)
            assert "You held Extended access, payroll through 30.06.2023." in html, path
            assert "ask one of these people" in html
            assert 'href="mailto:kari@example.no"' in html
            nb = _page(cast.eva, path, "nb")
            assert "Du hadde Utvidet tilgang lønn til og med 30.06.2023." in nb


def test_the_plain_member_and_the_outsider_are_told_nothing(cast: Cast) -> None:
    grant(cast.eva, cast.fjordetaten, RoleType.EXTENDED_PAYROLL, valid_to=dt.date(2023, 6, 30))
    with time_machine.travel(NOW, tick=False):
        for user in (cast.per, cast.nina):
            for path in PAGES:
                html = _page(user, path)
                assert "You held" not in html
                assert "30.06.2023" not in html


def test_the_window_is_five_years_and_the_last_day_is_the_oslo_date(cast: Cast) -> None:
    assert ENDED_ROLES_SHOWN_FOR_YEARS == 5  # the window docs/rules.md names
    grant(cast.eva, cast.fjordetaten, RoleType.EXTENDED_PAYROLL, valid_to=dt.date(2020, 6, 15))
    grant(cast.eva, cast.fjordetaten, RoleType.EXTENDED_ACCOUNTING, valid_to=dt.date(2020, 6, 14))
    with time_machine.travel(NOW, tick=False):
        shown = [e.assignment.role.code for e in ended_roles(cast.eva, cast.fjordetaten)]
    assert shown == [RoleType.EXTENDED_PAYROLL]
    # Held through 14.06.2025: still held at 23:30 Oslo time that day, ended a minute past
    # midnight, although UTC is still on the 14th then.
    grant(cast.per, cast.fjordetaten, RoleType.EXTENDED_PAYROLL, valid_to=dt.date(2025, 6, 14))
    with time_machine.travel(dt.datetime(2025, 6, 14, 21, 30, tzinfo=dt.UTC), tick=False):
        assert ended_roles(cast.per, cast.fjordetaten) == []
    with time_machine.travel(dt.datetime(2025, 6, 14, 22, 1, tzinfo=dt.UTC), tick=False):
        assert len(ended_roles(cast.per, cast.fjordetaten)) == 1


def test_a_role_held_again_is_not_reported_as_ended(cast: Cast) -> None:
    grant(cast.eva, cast.fjordetaten, RoleType.EXTENDED_PAYROLL, valid_to=dt.date(2023, 6, 30))
    grant(cast.eva, cast.fjordetaten, RoleType.EXTENDED_PAYROLL, valid_from=dt.date(2024, 1, 1))
    with time_machine.travel(NOW, tick=False):
        assert ended_roles(cast.eva, cast.fjordetaten) == []
        assert "You held" not in _page(cast.eva, "/min-side/")


def test_with_nobody_to_ask_the_fullmakt_form_path_is_shown(cast: Cast) -> None:
    grant(
        cast.eva,
        cast.fjordetaten,
        RoleType.PAYROLL_ORDERER,
        dt.date(2022, 11, 18),
        dt.date(2024, 12, 31),
    )
    with time_machine.travel(NOW, tick=False):
        html = _page(cast.eva, "/min-side/")
    assert "You held Authorised payroll orderer through 31.12.2024." in html
    assert "/skjema/fullmakt.xlsx" in html
    assert "/skjema/fullmakt/send/" in html


def test_a_former_orderer_is_told_who_can_appoint_her_again(cast: Cast) -> None:
    grant(
        cast.eva,
        cast.fjordetaten,
        RoleType.PAYROLL_ORDERER,
        dt.date(2022, 11, 18),
        dt.date(2024, 12, 31),
    )
    grant(cast.ola, cast.fjordetaten, RoleType.FULLMAKT)
    with time_machine.travel(NOW, tick=False):
        (ended,) = ended_roles(cast.eva, cast.fjordetaten)
    assert [a.person for a in ended.ask] == [cast.ola]
    assert not ended.fullmakt_form
