import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """The cases a person follows, by person: the case list's "Followed by me".

    The filter is ``id IN (SELECT case_id FROM cases_follower WHERE user_id = …)``;
    with (user, case) PostgreSQL answers the inner select from the index alone
    and then fetches the few followed cases by their primary key, whatever the
    size of the organisation (docs/performance.md).

    The index on the user alone, which the foreign key had, is dropped: this one
    serves it too. Built CONCURRENTLY, so a large table keeps taking writes.
    """

    atomic = False

    dependencies = [
        ("cases", "0013_portal_texts_in_each_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="follower",
            index=models.Index(fields=["user", "case"], name="follower_user_case"),
        ),
        migrations.AlterField(
            model_name="follower",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
