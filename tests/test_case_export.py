"""The Excel export: exactly the list's rows and columns, safe text, background for big ones."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from cases import exporting
from cases.listing import columns
from cases.models import Case, ExportJob
from portal.models import RoleType
from tests.cases_helpers import bytes_of, make_case
from tests.conftest import Cast, client_for, grant


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_IN_THREAD = False


@pytest.fixture
def kari(cast: Cast) -> Client:
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_PAYROLL)
    grant(cast.kari, cast.fjordetaten, RoleType.EXTENDED_ACCOUNTING)
    return client_for(cast.kari)


def _sheet(response) -> list[tuple]:
    content = bytes_of(response) if response.streaming else response.content
    workbook = load_workbook(io.BytesIO(content))
    rows: list[tuple] = []
    for sheet in workbook.worksheets:
        rows.extend(sheet.iter_rows(values_only=True))
    return rows


def test_export_has_the_lists_rows_columns_and_order(cast: Cast, kari: Client) -> None:
    for i in range(7):
        make_case(cast.fjordetaten, cast.per, "lonn" if i % 2 else "regnskap", title=f"Sak {i}")
    query = "sort=tittel&kategori=lonn"
    listed = [c["number"] for c in kari.get(f"/saker/?{query}").context["page"].rows]
    response = kari.get(f"/saker/eksport.xlsx?{query}", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="saker-fjordetaten-')
    rows = _sheet(response)
    assert rows[0][:2] == ("Nummer", "Tittel")
    assert [row[0] for row in rows[1:]] == listed


def test_export_rows_equal_the_lists_count(cast: Cast, kari: Client) -> None:
    for i in range(12):
        make_case(cast.fjordetaten, cast.per, title=f"Telling {i}")
    page = kari.get("/saker/?tittel=telling&per_side=25").context["page"]
    rows = _sheet(kari.get("/saker/eksport.xlsx?tittel=telling"))
    assert len(rows) - 1 == page.count == 12


def test_whole_title_formula_text_and_illegal_characters(cast: Cast, kari: Client) -> None:
    long_title = ("Lønnsoppgjør og etterbetaling for mange ansatte " * 10)[:300]
    formula = '=HYPERLINK("http://evil.example","klikk")'
    odd = "Tittel med\x0bvertikal tab og\x1fenhetsskille"
    for title in (long_title, formula, odd, "+47 22 00 00 00", "@SUM(A1)"):
        make_case(cast.fjordetaten, cast.per, title=title)
    rows = _sheet(kari.get("/saker/eksport.xlsx?sort=nummer"))
    titles = [row[1] for row in rows[1:]]
    assert long_title in titles
    assert formula in titles
    assert "+47 22 00 00 00" in titles
    assert "@SUM(A1)" in titles
    assert any(t.startswith("Tittel med") and "enhetsskille" in t for t in titles)


def test_a_title_that_looks_like_an_excel_escape_reaches_only_those_who_see_the_case(
    cast: Cast, kari: Client
) -> None:
    # Excel would show "_x0041_" as "A" and "_x005F_" as "_" unless escaped.
    title = "Konto _x0041_ og _x005F_ i lønn"
    make_case(cast.fjordetaten, cast.ola, "lonn", title=title)
    rows = _sheet(kari.get("/saker/eksport.xlsx"))
    # openpyxl reads the text as stored; unescape reads it as Excel does.
    assert [unescape(row[1]) for row in rows[1:]] == [title]
    # The plain member sees only his own cases, the outsider another organisation's.
    for other in (cast.per, cast.nina):
        assert len(_sheet(client_for(other).get("/saker/eksport.xlsx"))) == 1


def test_dates_are_real_excel_dates_in_oslo_time(cast: Cast, kari: Client) -> None:
    import datetime as dt

    case = make_case(cast.fjordetaten, cast.per, title="Dato")
    Case.objects.filter(pk=case.pk).update(
        created_at=dt.datetime(2022, 11, 10, 23, 30, tzinfo=dt.UTC)
    )
    rows = _sheet(kari.get("/saker/eksport.xlsx"))
    header = rows[0]
    created = rows[1][header.index("Opprettet")] if "Opprettet" in header else None
    assert created == dt.datetime(2022, 11, 11, 0, 30)


def test_column_choice_applies_to_the_export(cast: Cast, kari: Client) -> None:
    make_case(cast.fjordetaten, cast.per, title="Kolonner")
    kari.post("/saker/kolonner/", {"kolonner": ["status"]})
    rows = _sheet(kari.get("/saker/eksport.xlsx", HTTP_ACCEPT_LANGUAGE="nb"))
    assert rows[0] == ("Nummer", "Tittel", "Status")


@pytest.mark.parametrize("language", ["nb", "en"])
def test_every_column_is_exported_in_the_users_language(
    cast: Cast, kari: Client, language: str
) -> None:
    case = make_case(cast.fjordetaten, cast.per, "regnskap", title="Alle kolonner")
    kari.post("/saker/kolonner/", {"kolonner": list(columns())})
    rows = _sheet(kari.get("/saker/eksport.xlsx", HTTP_ACCEPT_LANGUAGE=language))
    with translation.override(language):
        expected = {
            str(columns()["kategori"].verbose_name): case.get_category_display(),
            str(columns()["fagomrade"].verbose_name): case.subject_area.name,
            str(columns()["status"].verbose_name): case.get_status_display(),
            str(columns()["kanal"].verbose_name): case.get_channel_display(),
            str(columns()["innmeldt_av"].verbose_name): cast.per.get_full_name(),
        }
    assert len(rows) == 2
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert {header: exported[header] for header in expected} == expected
    assert exported[rows[0][0]] == case.number


def test_export_never_contains_a_case_the_user_may_not_see(cast: Cast) -> None:
    own = make_case(cast.fjordetaten, cast.per, title="Min")
    make_case(cast.fjordetaten, cast.ola, title="Olas")
    make_case(cast.kystdir, cast.nina, title="Ninas")
    rows = _sheet(client_for(cast.per).get("/saker/eksport.xlsx"))
    assert [row[0] for row in rows[1:]] == [own.number]
    nina_rows = _sheet(client_for(cast.nina).get("/saker/eksport.xlsx"))
    assert [row[1] for row in nina_rows[1:]] == ["Ninas"]


def test_export_without_organisation_gets_the_gates_page(cast: Cast) -> None:
    response = client_for(cast.siv).get("/saker/eksport.xlsx")
    assert response.status_code == 403
    assert response.templates[0].name == "portal/no_membership.html"
    assert Client().get("/saker/eksport.xlsx").status_code == 302


def test_large_export_runs_in_the_background_with_progress(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 3)
    for i in range(5):
        make_case(cast.fjordetaten, cast.per, title=f"Stor {i}")
    response = kari.get("/saker/eksport.xlsx?tittel=stor")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/saker/eksport/{job.pk}/"
    waiting = kari.get(f"/saker/eksport/{job.pk}/", HTTP_ACCEPT_LANGUAGE="nb")
    assert b"<progress" in waiting.content
    assert kari.get(f"/saker/eksport/{job.pk}/fil/").status_code == 404  # not ready yet

    exporting.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE
    assert job.percent == 100
    done = kari.get(f"/saker/eksport/{job.pk}/")
    assert f"/saker/eksport/{job.pk}/fil/".encode() in done.content
    rows = _sheet(kari.get(f"/saker/eksport/{job.pk}/fil/"))
    assert len(rows) == 6


def test_someone_elses_export_is_404(cast: Cast, kari: Client, monkeypatch) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Min eksport")
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    exporting.run_job(job.pk)
    for other in (cast.per, cast.nina):
        assert client_for(other).get(f"/saker/eksport/{job.pk}/").status_code == 404
        assert client_for(other).get(f"/saker/eksport/{job.pk}/fil/").status_code == 404


def test_worker_command_runs_waiting_jobs(cast: Cast, kari: Client, monkeypatch) -> None:
    from django.core.management import call_command

    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Kø")
    kari.get("/saker/eksport.xlsx")
    call_command("run_export_jobs", "--once")
    assert ExportJob.objects.get().state == ExportJob.State.DONE


def test_job_of_a_user_who_left_the_organisation_fails_without_a_file(
    cast: Cast, monkeypatch
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Sluttet")
    client_for(cast.per).get("/saker/eksport.xlsx")
    cast.per.memberships.all().delete()
    job = ExportJob.objects.get()
    exporting.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED
    assert not job.file


# Transactional: the export's SET LOCAL ends with its own transaction, which inside a
# test's transaction would only be a savepoint.
@pytest.mark.django_db(transaction=True)
def test_the_export_leaves_the_connections_planner_settings_as_they_were(
    cast: Cast, kari: Client
) -> None:
    from django.db import connection

    make_case(cast.fjordetaten, cast.per, title="Innstilling")
    assert len(_sheet(kari.get("/saker/eksport.xlsx"))) == 2
    # The plain member's export (only the header) and another organisation's member's.
    assert len(_sheet(client_for(cast.ola).get("/saker/eksport.xlsx"))) == 1
    assert len(_sheet(client_for(cast.nina).get("/saker/eksport.xlsx"))) == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        assert cursor.fetchone()[0] == "0.1"


# --- a finished file is handed out only while the access it was made with holds ---------


def _finished_job(cast: Cast, client: Client, monkeypatch: pytest.MonkeyPatch) -> ExportJob:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, "lonn", title="Kollegas lønnssak")
    make_case(cast.fjordetaten, cast.per, "regnskap", title="Kollegas regnskapssak")
    client.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    exporting.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE
    return job


def test_file_made_with_extended_access_is_refused_once_that_access_ends(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.dates import today
    from portal.models import RoleAssignment
    from portal.services import do_end_role

    job = _finished_job(cast, kari, monkeypatch)
    assert sorted(job.scope) == ["lonn", "regnskap"]
    assert kari.get(f"/saker/eksport/{job.pk}/fil/").status_code == 200
    held = RoleAssignment.objects.held_today().get(
        person=cast.kari, role__code=RoleType.EXTENDED_ACCOUNTING
    )
    do_end_role(
        actor=None,
        assignment=held,
        valid_to=today() - dt.timedelta(days=1),
        basis=RoleAssignment.Basis.STAFF,
    )
    # The case pages give 404 now; so do the file and its page.
    assert kari.get(f"/saker/eksport/{job.pk}/fil/").status_code == 404
    assert kari.get(f"/saker/eksport/{job.pk}/").status_code == 404


def test_file_is_refused_to_someone_who_left_the_organisation(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_case(cast.fjordetaten, cast.mona, title="Monas egen sak")
    job = _finished_job(cast, client_for(cast.mona), monkeypatch)
    assert job.scope == []  # her own cases only
    mona = client_for(cast.mona)
    assert mona.get(f"/saker/eksport/{job.pk}/fil/").status_code == 200
    cast.mona.memberships.filter(organisation=cast.fjordetaten).delete()
    assert mona.get(f"/saker/eksport/{job.pk}/fil/").status_code == 404


def test_file_is_refused_when_the_organisation_is_deactivated(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _finished_job(cast, kari, monkeypatch)
    cast.fjordetaten.is_active = False
    cast.fjordetaten.save()
    assert kari.get(f"/saker/eksport/{job.pk}/fil/").status_code in {403, 404}
    assert not exporting.may_download(cast.kari, job)


def test_files_and_jobs_are_deleted_after_a_day(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time_machine

    job = _finished_job(cast, kari, monkeypatch)
    stored = Path(job.file.path)
    assert stored.exists()
    with time_machine.travel(job.created_at + dt.timedelta(hours=23)):
        assert exporting.delete_expired_jobs() == 0
    with time_machine.travel(job.created_at + dt.timedelta(hours=25)):
        assert exporting.delete_expired_jobs() == 1
    assert not ExportJob.objects.filter(pk=job.pk).exists()
    assert not stored.exists()
    assert kari.get(f"/saker/eksport/{job.pk}/fil/").status_code == 404


def test_a_job_whose_worker_died_is_taken_up_again_then_given_up(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time_machine

    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Krasj")
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    for attempt in range(1, exporting.EXPORT_MAX_ATTEMPTS + 1):
        claimed = exporting.claim_next_job()
        assert claimed is not None
        assert claimed.pk == job.pk
        ExportJob.objects.filter(pk=job.pk).update(attempts=attempt)  # the worker started it
        # ... and died: no sign of life for longer than EXPORT_STALE_SECONDS.
        later = dt.timedelta(seconds=exporting.EXPORT_STALE_SECONDS + 1)
        with time_machine.travel(timezone.now() + later * attempt):
            exporting.reclaim_stale_jobs()
        job.refresh_from_db()
        expected = (
            ExportJob.State.FAILED
            if attempt >= exporting.EXPORT_MAX_ATTEMPTS
            else ExportJob.State.WAITING
        )
        assert job.state == expected, attempt
    assert exporting.claim_next_job() is None


def test_the_cleanup_command_deletes_old_exports(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time_machine
    from django.core.management import call_command

    job = _finished_job(cast, kari, monkeypatch)
    with time_machine.travel(job.created_at + dt.timedelta(hours=25)):
        call_command("delete_expired_exports")
    assert not ExportJob.objects.exists()


def test_the_status_page_takes_up_a_job_whose_worker_died_and_leaves_a_live_one(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Levende")
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    exporting.claim_next_job()  # a worker took it and is alive
    kari.get(f"/saker/eksport/{job.pk}/")
    assert ExportJob.objects.get().state == ExportJob.State.RUNNING
    old = timezone.now() - dt.timedelta(seconds=exporting.EXPORT_STALE_SECONDS + 1)
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=old)  # ... and then it died
    kari.get(f"/saker/eksport/{job.pk}/")
    assert ExportJob.objects.get().state == ExportJob.State.WAITING
