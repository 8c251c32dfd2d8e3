"""manage.py send_login_links: each organisation's technical contact gets its direct link."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from portal.demo import org_number
from portal.models import Organisation, User
from tests.conftest import Cast, grant, make_user
from tests.queue import run_jobs

TECHNICAL = "kontaktperson-it-teknisk"


@pytest.fixture
def contacts(cast: Cast) -> Cast:
    grant(cast.kari, cast.fjordetaten, TECHNICAL)
    grant(cast.eva, cast.fjordetaten, TECHNICAL, valid_to=dt.date(2021, 12, 31))  # ended
    grant(cast.per, cast.fjordetaten, TECHNICAL, valid_from=dt.date(2999, 1, 1))  # not yet
    grant(cast.nina, cast.kystdir, TECHNICAL)
    grant(cast.mona, cast.kystdir, "fullmakt")  # another role
    return cast


def run(*args: str) -> str:
    """The command, then the worker that sends what it queued."""
    out = StringIO()
    call_command("send_login_links", *args, stdout=out)
    run_jobs()
    return out.getvalue()


def test_each_current_technical_contact_gets_the_organisations_link(
    contacts: Cast, mailoutbox: list[Any], settings: Any
) -> None:
    settings.SITE_URL = "https://kundesenter.example"
    Organisation.objects.create(name="Ås etat", org_number=org_number("98100005"), slug="as-etat")
    output = run()
    assert sorted(mail.to[0] for mail in mailoutbox) == ["kari@example.no", "nina@example.no"]
    by_recipient = {mail.to[0]: mail for mail in mailoutbox}
    kari = by_recipient["kari@example.no"]
    assert kari.subject == "Direkte innloggingslenke til Kundesenter for Fjordetaten"
    assert "Hei Kari," in kari.body
    assert "kontaktperson IT-teknisk for Fjordetaten" in kari.body
    assert "https://kundesenter.example/inn/fjordetaten/\n" in kari.body
    assert (
        "https://kundesenter.example/inn/kystdirektoratet/" in by_recipient["nina@example.no"].body
    )
    assert "No technical contact: Ås etat (as-etat)" in output
    assert "https://kundesenter.example/inn/as-etat/" in output
    assert (
        "2 e-mail(s) queued for sending, 1 organisation(s) without a technical contact." in output
    )


def test_running_it_again_the_same_day_sends_each_link_once(
    contacts: Cast, mailoutbox: list[Any]
) -> None:
    run()
    again = run()
    assert sorted(mail.to[0] for mail in mailoutbox) == ["kari@example.no", "nina@example.no"]
    assert "Already queued today: http://127.0.0.1:8000/inn/fjordetaten/ to kari" in again
    assert "0 e-mail(s) queued for sending" in again


def test_one_organisation_only(contacts: Cast, mailoutbox: list[Any]) -> None:
    output = run("--org", "kystdirektoratet")
    assert [mail.to for mail in mailoutbox] == [["nina@example.no"]]
    assert "Fjordetaten" not in output


def test_dry_run_sends_nothing_but_says_what_it_would(
    contacts: Cast, mailoutbox: list[Any]
) -> None:
    output = run("--dry-run")
    assert mailoutbox == []
    assert "Would send http://127.0.0.1:8000/inn/fjordetaten/ to kari@example.no" in output
    assert "Dry run, nothing sent: 2 e-mail(s) to send" in output


def test_holders_who_cannot_be_reached_do_not_count(cast: Cast, mailoutbox: list[Any]) -> None:
    without_address = make_user("uten", cast.fjordetaten)
    User.objects.filter(pk=without_address.pk).update(email="")
    grant(without_address, cast.fjordetaten, TECHNICAL)
    grant(cast.nina, cast.kystdir, TECHNICAL)
    User.objects.filter(pk=cast.nina.pk).update(is_active=False)
    output = run()
    assert mailoutbox == []
    assert "No technical contact: Fjordetaten (fjordetaten)" in output
    assert "No technical contact: Kystdirektoratet (kystdirektoratet)" in output


def test_unknown_organisation_is_an_error(cast: Cast) -> None:
    with pytest.raises(CommandError, match="nowhere"):
        run("--org", "nowhere")


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        (
            "en",
            "Direct login link to Kundesenter for Fjordetaten",
            ["Hello Kari,", "registered as technical IT contact for Fjordetaten"],
        ),
        (
            "nn",
            "Direkte innloggingslenkje til Kundesenter for Fjordetaten",
            ["Hei Kari,", "Lenkja startar innlogginga med Fjordetaten førehandsvald"],
        ),
    ],
)
def test_the_e_mail_is_in_the_recipients_language(
    contacts: Cast, mailoutbox: list[Any], language: str, subject: str, words: list[str]
) -> None:
    User.objects.filter(pk=contacts.kari.pk).update(language=language)
    run("--org", "fjordetaten")
    [mail] = mailoutbox
    assert mail.subject == subject
    for word in words:
        assert word in mail.body
    assert "Lenken starter innloggingen" not in mail.body  # the bokmål text
