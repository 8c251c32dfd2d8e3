"""The queue's periodic work: what runs when, and that each job does its work when it runs.

Upkeep is not asked for by a person, so no gate applies: a plain member's and an
outsider organisation's old exports go the same way as anyone's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from procrastinate.contrib.django import app

from cases import exporting
from cases.models import ExportJob, TitleTrigram
from tests.cases_helpers import make_case
from tests.conftest import Cast, client_for

# The schedule (UTC), as docs/deployment.md gives it.
SCHEDULE = {
    "portal.retry_stalled_jobs": "* * * * * */15",
    "portal.resend_waiting_email": "*/10 * * * *",
    "portal.forget_sent_email": "40 2 * * *",
    "portal.forget_old_jobs": "20 2 * * *",
    "portal.forget_idempotency_keys": "30 2 * * *",
    "cases.refresh_title_trigrams": "15 1 * * *",
    "cases.delete_expired_exports": "*/10 * * * *",
    "cases.sweep_orphan_files": "35 * * * *",
    "access.sweep_held_files": "50 * * * *",
}


def test_the_schedule() -> None:
    periodic_tasks = app.periodic_registry.periodic_tasks
    registered = {task_name: periodic.cron for (task_name, _), periodic in periodic_tasks.items()}
    assert registered == SCHEDULE
    for periodic in periodic_tasks.values():
        assert periodic.croniter.get_next(float, 0) > 0  # the cron line reads


def test_the_title_search_is_sampled_nightly(cast: Cast, run_jobs) -> None:
    make_case(cast.fjordetaten, cast.per, title="Feriepenger")
    app.tasks["cases.refresh_title_trigrams"].defer(timestamp=0)
    assert [r.outcome for r in run_jobs()] == ["succeeded"]
    assert TitleTrigram.objects.filter(trigram="fer").exists()


@pytest.fixture
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_old_exports_of_anyone_are_deleted_with_their_files(
    cast: Cast, media: None, run_jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "EXPORT_INLINE_LIMIT", 0)
    make_case(cast.fjordetaten, cast.per, title="Pers sak")
    make_case(cast.kystdir, cast.nina, title="Ninas sak")
    client_for(cast.per).get("/saker/eksport.xlsx")  # the plain member's
    client_for(cast.nina).get("/saker/eksport.xlsx")  # another organisation's
    run_jobs()
    jobs = list(ExportJob.objects.all())
    assert [job.state for job in jobs] == [ExportJob.State.DONE] * 2
    files = [Path(job.file.path) for job in jobs]
    assert all(file.exists() for file in files)
    with time_machine.travel(max(job.created_at for job in jobs) + dt.timedelta(hours=25)):
        app.tasks["cases.delete_expired_exports"].defer(timestamp=0)
        assert [r.outcome for r in run_jobs()] == ["succeeded"]
    assert not ExportJob.objects.exists()
    assert not any(file.exists() for file in files)


def test_files_no_row_names_are_swept_after_an_hour(
    cast: Cast, media: None, run_jobs, settings
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    make_case(cast.fjordetaten, cast.per, with_attachment=True)
    orphan = default_storage.save("attachments/2026/12/lost.pdf", ContentFile(b"%PDF-1.4"))
    assert orphan is not None
    app.tasks["cases.sweep_orphan_files"].defer(timestamp=0)
    run_jobs()
    assert default_storage.exists(orphan)  # written just now: a submission may be under way
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)):
        app.tasks["cases.sweep_orphan_files"].defer(timestamp=1)
        assert [r.outcome for r in run_jobs()] == ["succeeded"]
    assert not default_storage.exists(orphan)
    from cases.models import Attachment

    kept = Attachment.objects.get().file.name
    assert kept is not None
    assert default_storage.exists(kept)
