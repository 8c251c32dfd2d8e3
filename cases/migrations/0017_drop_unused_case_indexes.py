import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Django's own names for the foreign keys' indexes (made from the table and the
# column, the same in every database).
INDEXES = {
    "cases_case_registered_by_id_baa64d7e": "registered_by_id",
    "cases_case_reported_by_id_cd03598d": "reported_by_id",
    "cases_case_subject_area_id_918f9161": "subject_area_id",
}


class Migration(migrations.Migration):
    """Three indexes of cases_case that no page reads (issue 15).

    After a run of the case list and pages benchmarks at five million cases,
    pg_stat_user_indexes showed (docs/decisions.md, "Plans tested and indexes
    dropped"):

    - cases_case_subject_area_id: not one scan. The list reads a subject
      area's cases in an organisation through case_org_subject.
    - cases_case_reported_by_id: a few single-row lookups (the names copied
      onto cases when a person is saved, the form's duplicate check), which
      case_reporter_updated and case_unique_submission serve as well: both
      lead with reported_by_id.
    - cases_case_registered_by_id: nothing in the code reads cases by who
      registered them.

    Each would serve only the PROTECT check when its parent is deleted: a
    subject area (the admin deactivates them) or a person (only a superuser
    can delete one). Without the index that check reads the table (about
    0.8 s at five million cases), once, on a deletion that then fails anyway
    if a case refers to the row. Every update that moves "last changed" adds
    an entry to every index of the table, so each index dropped is less work
    on every message, status change and assignment.

    Dropped CONCURRENTLY, so a large production table keeps taking writes.
    """

    atomic = False

    dependencies = [
        ("cases", "0016_desk"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {name};",
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON cases_case ({column});",
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="registered_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The staff member who registered a case that came by e-mail or phone.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="registered by staff",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="reported_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reported_cases",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reported by",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="subject_area",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="cases.subjectarea",
                        verbose_name="subject area",
                    ),
                ),
            ],
        ),
    ]
