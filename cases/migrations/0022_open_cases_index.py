from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """The case list's open cases by status, from an index of their own.

    A status other than avsluttet is a few per cent of an organisation's cases
    (in the largest bench organisation 36 000 of 501 000; "aktiv" alone 5 000).
    Filtered by such a status, the list counted and sorted them through the
    index of the whole organisation's list, whose half a million entries it
    read twice: /saker/?status=aktiv took 177 ms at five million cases (SQL
    160 ms; bench/case_list.py), the API's list 68 ms. With the open cases'
    own index, by status and then in the list's order, covering what the
    filters read: 22 ms (SQL 5 ms) and 15 ms; all open statuses at once 22 ms.
    An index of the open cases in the list's order alone (status included,
    not a key) gave 32 ms: the count still read every open case. 63 MB at five
    million cases.

    Built CONCURRENTLY, so a large production table keeps taking writes.
    """

    atomic = False

    dependencies = [
        ("cases", "0021_api_client_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status", "avsluttet"), _negated=True),
                fields=["organisation", "status", "-updated_at", "-id"],
                include=(
                    "category",
                    "channel",
                    "subject_area",
                    "reported_by",
                    "title_folded",
                    "created_at",
                ),
                name="case_org_open_status",
            ),
        ),
    ]
