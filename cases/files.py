"""The files of cases in the storage, and the sweep of those that no row names.

Two folders of ``STORAGES["default"]`` belong to this app: ``attachments/``
(``Attachment.file``, ``attachments/<year>/<month>/<random>``) and ``exports/``
(``ExportJob.file``). The fullmakt form's held files (``held/``) are the access
app's, swept by its own hourly job (``access.tasks``).

Why files can lose their row, and never the other way round: a submission
(``cases.services.do_create_case``, ``do_add_message``) writes each attachment's
file to the storage inside its transaction, before the row that names it, and
the transaction commits only after every file is written. If it fails, the
files are deleted on the way out; if the process is killed (kill -9, a lost
machine) between a file's write and the commit, nothing runs on the way out:
PostgreSQL rolls the rows back and the file stays, named by no row. The other
order cannot arise: a committed Attachment row always names a file that was
completely written before it. An export's worker likewise writes the file and
then the job's row. Files whose rows are deleted later (by an operator; the
app's own role may not delete cases) are left by Django too. This sweep deletes all of them.

A file is left alone for ``older_than`` after it was last written (by the
storage's clock), so a submission still in its transaction is never touched:
the grace must be longer than any transaction that writes files lasts. Why
write first and sweep, rather than write after the commit: docs/decisions.md,
"Files and a killed submission".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from itertools import islice

from django.core.files.storage import default_storage
from django.utils import timezone

from cases.models import Attachment, ExportJob
from portal.files import delete_older, walk

logger = logging.getLogger(__name__)

ATTACHMENTS = "attachments"
EXPORTS = "exports"
ORPHAN_GRACE = dt.timedelta(hours=1)
# Names looked up per query: the listing of a bucket comes a thousand at a time.
BATCH = 1000


def _batches(names: Iterable[str], size: int) -> Iterator[list[str]]:
    names = iter(names)
    while batch := list(islice(names, size)):
        yield batch


def sweep_orphan_files(older_than: dt.timedelta = ORPHAN_GRACE) -> list[str]:
    """Delete attachment and export files that no row names, last written more than
    ``older_than`` ago; the names deleted.

    Through the storage API only, so it works on disk and in a bucket alike. It reads
    the whole of both folders: run it nightly (or hourly); an orphan is never served
    (no row, no download), so it only costs space until then.
    """
    cutoff = timezone.now() - older_than
    storage = default_storage  # Attachment.file's and ExportJob.file's
    deleted: list[str] = []
    for batch in _batches(walk(storage, ATTACHMENTS), BATCH):
        # Served by the index attachment_file (migration cases 0019).
        named = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
        deleted += delete_older(storage, [name for name in batch if name not in named], cutoff)
    # Exports are kept for a day: few enough to hold every job's name at once.
    named = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    deleted += delete_older(
        storage, [name for name in walk(storage, EXPORTS) if name not in named], cutoff
    )
    if deleted:
        logger.info("Deleted %d file(s) that no row names: %s", len(deleted), deleted[:20])
    return deleted
