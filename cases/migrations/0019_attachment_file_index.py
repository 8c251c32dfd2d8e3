from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """Attachments by their stored name: which names listed in the storage have a row.

    The orphan sweep (cases/files.py) lists the attachments folder of the storage
    and asks for the rows of a thousand names at a time; without the index each
    question reads the whole table. Built CONCURRENTLY, so a large table keeps
    taking writes.
    """

    atomic = False

    dependencies = [
        ("cases", "0018_exportjob_no_heartbeat"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="attachment",
            index=models.Index(fields=["file"], name="attachment_file"),
        ),
    ]
