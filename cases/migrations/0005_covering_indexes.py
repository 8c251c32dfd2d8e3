import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Covering indexes for the case list, measured at five million cases.

    Walking an organisation's cases in list order through a plain index visits
    the table for every row, to read what the filters look at, and one
    organisation's rows are spread over the whole table: a "title contains"
    count or a status filter then cost hundreds of milliseconds in a large
    organisation (docs/performance.md). These two indexes carry what the
    filters read (status, category, channel, subject area, reporter, the other
    date and the folded title), so PostgreSQL answers from the index alone:

    - case_org_updated_cover: the default order (sist endret) and its filter;
    - case_org_created_cover: "opprettet" ranges and that sort.

    title_folded is ks_fold(title), stored and kept by PostgreSQL (a generated
    column), so the indexes can hold it; the trigram index moves onto it.
    Adding the column rewrites the table once (about five minutes for five
    million cases on a 2-core machine).
    """

    dependencies = [
        ("cases", "0004_list_preferences_and_exports"),
        ("portal", "0005_append_only_and_role_types"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_org_updated",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="case_org_created",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="case_org_title_trgm",
        ),
        migrations.AddField(
            model_name="case",
            name="title_folded",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("title"), function="ks_fold", output_field=models.TextField()
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["organisation", "-updated_at", "-id"],
                include=(
                    "status",
                    "category",
                    "channel",
                    "subject_area",
                    "reported_by",
                    "title_folded",
                    "created_at",
                ),
                name="case_org_updated_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["organisation", "-created_at", "-id"],
                include=(
                    "status",
                    "category",
                    "channel",
                    "subject_area",
                    "reported_by",
                    "title_folded",
                    "updated_at",
                ),
                name="case_org_created_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=django.contrib.postgres.indexes.GinIndex(
                models.F("organisation"),
                django.contrib.postgres.indexes.OpClass(
                    models.F("title_folded"), name="gin_trgm_ops"
                ),
                name="case_org_title_folded_trgm",
            ),
        ),
    ]
