from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """A narrow index for a bookmarked deep page of the default order.

    The covering index case_org_updated_cover carries the folded title, so
    about 16 entries fit on a page: skipping 100 000 cases to reach page 2 000
    (a bookmark has no keyset cursor, so it is an OFFSET) read 6 300 pages,
    68 ms. This index holds only the organisation, the time and the id, about
    200 entries a page, and PostgreSQL takes it for unfiltered deep pages.

    Built CONCURRENTLY, so a large production table keeps taking writes.
    """

    atomic = False

    dependencies = [
        ("cases", "0007_title_trigrams"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                fields=["organisation", "-updated_at", "-id"], name="case_org_updated"
            ),
        ),
    ]
