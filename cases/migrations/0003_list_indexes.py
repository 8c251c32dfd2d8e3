import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations, models

# The SQL as it was when this migration was written, frozen here: a later change
# to the app's code must not change what this migration did (tests/test_migrations.py).
# fold() and sort_key() in the app's text module are the Python twins of ks_fold
# and ks_sortkey; a change to the functions is a new migration.
SQL_FUNCTIONS = """
CREATE OR REPLACE FUNCTION ks_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT translate(lower($1), 'ÆØÅÄÖÉÈÊËÁÀÂÓÒÔÜÚÙÛÍÌÎÏÇäöéèêëáàâóòôüúùûíìîïç', 'æøåæøeeeeaaaooouuuuiiiicæøeeeeaaaooouuuuiiiic') $$;

CREATE OR REPLACE FUNCTION ks_sortkey(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT translate(
    translate(lower($1), 'ÆØÅÄÖÉÈÊËÁÀÂÓÒÔÜÚÙÛÍÌÎÏÇäöéèêëáàâóòôüúùûíìîïç', 'æøåæøeeeeaaaooouuuuiiiicæøeeeeaaaooouuuuiiiic'), 'æøå', '{|}'
) $$;

CREATE OR REPLACE FUNCTION ks_status_rank(text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT CASE $1 WHEN 'aktiv' THEN 1 WHEN 'under_arbeid' THEN 2 WHEN 'venter_pa_kunde' THEN 3 WHEN 'utsatt' THEN 4 WHEN 'avsluttet' THEN 5
    ELSE 99 END $$;
"""

DROP_SQL_FUNCTIONS = """
DROP FUNCTION IF EXISTS ks_status_rank(text);
DROP FUNCTION IF EXISTS ks_sortkey(text);
DROP FUNCTION IF EXISTS ks_fold(text);
"""

FILL_NAMES = """
UPDATE cases_case c SET reporter_name = coalesce(
    nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username)
FROM portal_user u WHERE u.id = c.reported_by_id;
UPDATE cases_case c SET assignee_name = coalesce(
    nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username)
FROM portal_user u WHERE u.id = c.assigned_to_id;
"""


class Migration(migrations.Migration):
    """Indexes for the case list (issue 4), at five million cases.

    Every list query starts with one organisation, so every btree index leads
    with it, then the sort column, then id (the tie-breaker, which is the
    number's order). With the list ordered by the index, a page is an index
    walk that stops after 50 rows, at any depth when paged by keyset.

    - case_org_updated (0001): the default order (sist endret, newest first)
      and the "sist endret" date filter.
    - case_org_created: sort by and filter on "opprettet".
    - case_org_number: sort by number (the number carries the id).
    - case_org_title_sort: sort by title in Norwegian order (ks_sortkey puts
      æ, ø, å after z whatever the database collation).
    - case_org_status_sort: sort by status in the workflow's order, not the
      codes' alphabetical order.
    - case_org_category / _channel / _subject / _reporter / _assignee: sort by
      those columns; reporter and assignee names are copied onto the case so
      that sorting by them needs no join.
    - case_reporter_updated: a plain member's list, which is their own cases.
    - case_org_title_trgm: "title contains" searches. A GIN index over the
      organisation (btree_gin) and the trigrams of the folded title, so a
      rare word in a large organisation is found without walking its cases.
    - case_number_prefix: "number starts with" (a pattern index works under
      any collation; the unique index alone does not serve LIKE 'x%').

    The SQL functions come before the indexes built on them.
    """

    dependencies = [
        ("cases", "0002_subject_areas_and_teams"),
        ("portal", "0005_append_only_and_role_types"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_reporter_status",
        ),
        migrations.AddField(
            model_name="case",
            name="assignee_name",
            field=models.CharField(
                blank=True, editable=False, max_length=300, verbose_name="assigned to"
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="reporter_name",
            field=models.CharField(
                blank=True, editable=False, max_length=300, verbose_name="reported by"
            ),
        ),
        migrations.RunSQL(SQL_FUNCTIONS, DROP_SQL_FUNCTIONS),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["organisation", "-created_at", "-id"], name="case_org_created"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["organisation", "-id"], name="case_org_number"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                models.F("organisation"),
                models.Func(
                    models.F("title"), function="ks_sortkey", output_field=models.TextField()
                ),
                models.F("id"),
                name="case_org_title_sort",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                models.F("organisation"),
                models.Func(
                    models.F("status"),
                    function="ks_status_rank",
                    output_field=models.IntegerField(),
                ),
                models.F("id"),
                name="case_org_status_sort",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["organisation", "category", "id"], name="case_org_category"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["organisation", "channel", "id"], name="case_org_channel"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["organisation", "subject_area", "id"], name="case_org_subject"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["organisation", "reporter_name", "id"], name="case_org_reporter"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["organisation", "assignee_name", "id"], name="case_org_assignee"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["reported_by", "organisation", "-updated_at", "-id"],
                name="case_reporter_updated",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=django.contrib.postgres.indexes.GinIndex(
                models.F("organisation"),
                django.contrib.postgres.indexes.OpClass(
                    models.Func(
                        models.F("title"), function="ks_fold", output_field=models.TextField()
                    ),
                    name="gin_trgm_ops",
                ),
                name="case_org_title_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                django.contrib.postgres.indexes.OpClass(
                    models.F("number"), name="varchar_pattern_ops"
                ),
                name="case_number_prefix",
            ),
        ),
        # Last: an UPDATE leaves trigger events that CREATE INDEX would refuse.
        migrations.RunSQL(FILL_NAMES, migrations.RunSQL.noop),
    ]
