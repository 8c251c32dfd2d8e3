"""The Excel export: exactly the list's rows and columns, safe text, background for big ones."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from cases import exporting
from cases.listing import columns
from cases.models import Case, ExportJob
from portal.models import RoleType
from tests.cases_helpers import bytes_of, make_case
from tests.conftest import Cast, client_for, grant
from tests.queue import jobs_of, make_due


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


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


def test_the_export_is_made_by_the_queue_not_the_request(
    cast: Cast, kari: Client, monkeypatch, run_jobs
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Kø")
    kari.get("/saker/eksport.xlsx")
    assert ExportJob.objects.get().state == ExportJob.State.WAITING
    assert jobs_of("cases.make_export") == 1
    ran = run_jobs()
    assert [(r.task, r.outcome) for r in ran] == [("cases.make_export", "succeeded")]
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


def test_a_failed_try_is_made_again_and_then_the_file_is_there_once(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch, run_jobs
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Ustabil")
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    # A try that died while storing the file left a part of it under the file's name.
    leftover = job.file.field.generate_filename(job, f"{job.pk}.xlsx")
    default_storage.save(leftover, ContentFile(b"half a file"))
    real = exporting.export_to_file
    calls = []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(exporting, "export_to_file", fails_once)
    assert [r.outcome for r in run_jobs()] == ["retry"]
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ExportJob.State.WAITING, 1)
    page = kari.get(f"/saker/eksport/{job.pk}/").content.decode()
    assert f"forsøk 2 av {exporting.EXPORT_MAX_ATTEMPTS}" in page
    make_due()
    assert [r.outcome for r in run_jobs()] == ["succeeded"]
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ExportJob.State.DONE, 2)
    assert job.file.name == leftover
    assert default_storage.listdir("exports")[1] == [Path(leftover).name]
    assert len(_sheet(kari.get(f"/saker/eksport/{job.pk}/fil/"))) == 2


def test_an_export_that_keeps_failing_says_so_after_its_last_try(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch, run_jobs
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Alltid feil")
    kari.get("/saker/eksport.xlsx")

    def always_fails(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exporting, "export_to_file", always_fails)
    outcomes = []
    for _ in range(exporting.EXPORT_MAX_ATTEMPTS):
        outcomes += [r.outcome for r in run_jobs()]
        make_due()
    assert outcomes == ["retry"] * (exporting.EXPORT_MAX_ATTEMPTS - 1) + ["succeeded"]
    job = ExportJob.objects.get()
    assert (job.state, job.attempts) == (ExportJob.State.FAILED, exporting.EXPORT_MAX_ATTEMPTS)
    assert run_jobs() == []
    page = kari.get(f"/saker/eksport/{job.pk}/").content.decode()
    assert "Eksporten feilet" in page


def test_an_export_whose_workers_kept_dying_fails_when_taken_up_again(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Krasj")
    kari.get("/saker/eksport.xlsx")
    job = ExportJob.objects.get()
    # Each try counts as it starts; workers that died took every try with them.
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.RUNNING, attempts=exporting.EXPORT_MAX_ATTEMPTS
    )
    exporting.make_export(str(job.pk))  # the queue hands the stalled job to a worker
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED
    assert not job.file


def test_the_cleanup_command_deletes_old_exports(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time_machine
    from django.core.management import call_command

    job = _finished_job(cast, kari, monkeypatch)
    with time_machine.travel(job.created_at + dt.timedelta(hours=25)):
        call_command("delete_expired_exports")
    assert not ExportJob.objects.exists()


def test_an_export_whose_job_could_not_be_queued_is_not_kept(
    cast: Cast, kari: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Uten jobb")

    def queue_down(task, **kwargs):
        raise OSError("the queue's table could not be written")

    monkeypatch.setattr(exporting, "defer_in_transaction", queue_down)
    with pytest.raises(OSError, match="queue"):
        exporting.start_job(
            user=cast.kari,
            organisation=cast.fjordetaten,
            params=QueryDict(""),
            columns=["number"],
            language="nb",
        )
    assert not ExportJob.objects.exists()  # no export waiting for ever on a job never made
