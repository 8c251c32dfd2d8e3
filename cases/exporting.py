"""The case list as an Excel file: the same rows, columns and order as the list.

Up to EXPORT_INLINE_LIMIT rows the file is made while the user waits; above
it an ExportJob records the wish and a job on the queue (``make_export``, run by
a worker, never by a web process) makes the file while the page shows its
progress.

A finished file holds colleagues' cases when it was made with utvidet tilgang,
so it is handed out only while the same access holds (``may_download``): the
person still passes the gate for the organisation and still holds every
utvidet tilgang the file was made with. Files and their jobs are deleted
EXPORT_KEEP_HOURS after they were made (``delete_expired_exports``, every ten
minutes). A job whose worker died is handed to another worker by the queue
(``portal.tasks.retry_stalled_jobs``); a job that failed is tried again; after
EXPORT_MAX_ATTEMPTS tries the export is marked failed, which the page says.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

from django.core.files import File
from django.db import connections, transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from cases.listing import columns, filtered_cases, list_ordering, read_request
from cases.models import Case, ExportJob, extended_categories
from portal.dates import today as oslo_today
from portal.db.routing import replica_reads
from portal.models import Organisation, User
from portal.organisations import is_active_member
from portal.queue import defer_in_transaction
from portal.xlsx import ExportColumn, write_xlsx

logger = logging.getLogger(__name__)

EXPORT_INLINE_LIMIT = 20_000
ITERATOR_CHUNK = 2_000
EXPORT_KEEP_HOURS = 24
EXPORT_MAX_ATTEMPTS = 3


def count_rows(user: User, organisations: list[Organisation], params: QueryDict) -> int:
    """The export's rows, counted only as far as EXPORT_INLINE_LIMIT + 1: enough to
    choose between now and the background, never a figure to show."""
    queryset, _filter = filtered_cases(user, organisations, params)
    return queryset.order_by().values("pk")[: EXPORT_INLINE_LIMIT + 1].count()


def count_all_rows(user: User, organisations: list[Organisation], params: QueryDict) -> int:
    """Every row of the export, counted: the background job's progress and its result."""
    queryset, _filter = filtered_cases(user, organisations, params)
    return queryset.order_by().count()


def export_columns(names: Sequence[str]) -> list[ExportColumn]:
    return [
        ExportColumn(
            key=name,
            header=str(column.verbose_name),
            kind=column.export_kind,  # type: ignore[arg-type]
            width=column.width,
        )
        for name, column in ((name, columns()[name]) for name in names)
    ]


def export_rows(
    user: User,
    organisations: list[Organisation],
    params: QueryDict,
    names: Sequence[str],
    language: str,
) -> Iterator[list[Any]]:
    """Every row the list would show over all its pages, in its order, streamed.

    Each column's value is its ``reader``, in the file's language: the same
    declaration the list's cells come from.
    """
    request = read_request(params)
    queryset, _filter = filtered_cases(user, organisations, params)
    shown = [columns()[name] for name in names]
    with translation.override(language):
        ordering = list_ordering(columns()[request.sort_key].sort.order_by(), request.descending)
        readers = [column.reader() for column in shown]
    fields = list(dict.fromkeys(field for column in shown for field in column.reads))
    rows = queryset.order_by(*ordering).values(*fields).iterator(chunk_size=ITERATOR_CHUNK)
    # The rows come through a server-side cursor, which PostgreSQL plans for
    # its first tenth by default: for 100 000 rows of a large organisation it
    # then walked the list's index with a table read per case (12 s) instead
    # of reading the range and sorting it (0.7 s). Every row is read here.
    # SET LOCAL ends with the transaction, whatever ends it. On the connection the
    # rows are read from: a replica's, within replica_reads.
    using = queryset.db
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        for values in rows:
            yield [read(values) for read in readers]


def file_name(organisation: Organisation) -> str:
    return f"saker-{slugify(organisation.name)}-{oslo_today():%Y-%m-%d}.xlsx"


def export_to_file(
    user: User,
    organisations: list[Organisation],
    params: QueryDict,
    keys: Sequence[str],
    *,
    language: str,
    progress: Any = None,
) -> tuple[IO[bytes], str]:
    """Write the export to a temporary file (memory stays bounded) and rewind it."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    with translation.override(language):
        write_xlsx(
            handle,
            export_columns(keys),
            export_rows(user, organisations, params, keys, language),
            sheet_title=_("Cases"),
            progress=progress,
        )
    handle.seek(0)
    return handle, file_name(organisations[0])


@transaction.atomic  # the export and its job on the queue, or neither
def start_job(
    *,
    user: User,
    organisation: Organisation,
    params: QueryDict,
    columns: list[str],
    language: str,
) -> ExportJob:
    """A background export; its rows are counted by the job itself (rows_total 0 until then)."""
    job = ExportJob.objects.create(
        user=user,
        organisation=organisation,
        query=params.urlencode(),
        columns=columns,
        language=language,
    )
    # In the same transaction: the job exists exactly when the export does.
    defer_in_transaction(make_export, job_id=str(job.pk))
    return job


def delete_expired_jobs() -> int:
    """Delete jobs (and their files) made more than EXPORT_KEEP_HOURS ago."""
    cutoff = timezone.now() - dt.timedelta(hours=EXPORT_KEEP_HOURS)
    expired = list(
        ExportJob.objects.filter(created_at__lt=cutoff).exclude(state=ExportJob.State.RUNNING)
    )
    for job in expired:
        if job.file.name:
            job.file.storage.delete(job.file.name)
        job.delete()
    return len(expired)


def next_try(job: ExportJob) -> int | None:
    """The number of the try under way or next, once a try has failed; None before that."""
    if job.state == ExportJob.State.WAITING and job.attempts >= 1:
        return job.attempts + 1
    if job.state == ExportJob.State.RUNNING and job.attempts >= 2:
        return job.attempts
    return None


def may_download(user: Any, job: ExportJob) -> bool:
    """The file is handed out only while the access it was made with still holds, now:
    the gate for its organisation, and every utvidet tilgang the rows were read with."""
    if job.user_id != getattr(user, "pk", None) or not is_active_member(user, job.organisation):
        return False
    return set(job.scope) <= set(extended_categories(user, job.organisation))


@app.task(
    name="cases.make_export",
    queue="exports",
    # A try that failed is made again after a short wait; run_job counts the tries
    # (a worker that died counts too) and gives up after EXPORT_MAX_ATTEMPTS.
    retry=RetryStrategy(max_attempts=EXPORT_MAX_ATTEMPTS + 1, wait=5),
)
def make_export(job_id: str) -> None:
    """The queue's job: make the file of one export, or say that it failed."""
    try:
        run_job(job_id)
    except Exception:
        logger.exception("Export %s failed", job_id)
        job = ExportJob.objects.get(pk=job_id)
        if job.attempts < EXPORT_MAX_ATTEMPTS:
            ExportJob.objects.filter(pk=job_id).update(state=ExportJob.State.WAITING, rows_done=0)
            raise  # tried again by the queue
        ExportJob.objects.filter(pk=job_id).update(state=ExportJob.State.FAILED)


def run_job(job_id: Any) -> None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.state not in {ExportJob.State.WAITING, ExportJob.State.RUNNING}:
            return
        if job.attempts >= EXPORT_MAX_ATTEMPTS:
            # Its workers died as often as it may be tried (each try counts here).
            job.state = ExportJob.State.FAILED
            job.save(update_fields=["state"])
            return
        job.state = ExportJob.State.RUNNING
        job.attempts += 1
        job.rows_done = 0
        job.save(update_fields=["state", "attempts", "rows_done"])
    organisations = [job.organisation]
    if not is_active_member(job.user, job.organisation):
        job.state = ExportJob.State.FAILED
        job.save(update_fields=["state"])
        return
    params = QueryDict(job.query)
    # What the rows are read with; the download asks for the same (may_download).
    # The count is exact (an index-only count, small beside writing the file), so
    # the progress and the finished page state the real number of rows.
    job.scope = extended_categories(job.user, job.organisation)
    job.rows_total = count_all_rows(job.user, organisations, params)
    job.save(update_fields=["scope", "rows_total"])
    written = 0

    def progress(done: int) -> None:
        nonlocal written
        written = done
        ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

    # The rows from a streaming replica when there is one (docs/configuration.md).
    with replica_reads(Case):
        handle, name = export_to_file(
            job.user, organisations, params, job.columns, language=job.language, progress=progress
        )
    # One file per export whatever the tries: one whose worker died while storing
    # it left its part under the same name, which the storage would otherwise avoid.
    own_name = f"{job.pk}.xlsx"
    job.file.storage.delete(job.file.field.generate_filename(job, own_name))
    with handle:
        job.file.save(own_name, File(handle), save=False)
    job.file_name = name
    job.state = ExportJob.State.DONE
    job.finished_at = timezone.now()
    # The file's own row count: cases changed between the count and the writing.
    job.rows_done = job.rows_total = written
    job.save(update_fields=["file", "file_name", "state", "finished_at", "rows_done", "rows_total"])
