from django.db import migrations

# The role register and the audit trail are records of what was known when.
# Python never updates or deletes them, and the database makes sure nothing
# else does either: any UPDATE or DELETE raises. (TRUNCATE, used only by test
# flushes and by an operator restoring a database, is a statement-level
# operation these row triggers do not cover.)
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

TRIGGER = """
CREATE TRIGGER {table}_append_only
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();
"""


def seed_role_types(apps, schema_editor):
    from portal.seed import ensure_role_types

    ensure_role_types(apps.get_model("portal", "RoleType"))


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_role_register")]

    operations = [
        migrations.RunSQL(
            APPEND_ONLY_FUNCTION, "DROP FUNCTION IF EXISTS portal_refuse_change() CASCADE;"
        ),
        migrations.RunSQL(
            TRIGGER.format(table="portal_roleassignment"),
            "DROP TRIGGER IF EXISTS portal_roleassignment_append_only ON portal_roleassignment;",
        ),
        migrations.RunSQL(
            TRIGGER.format(table="portal_auditevent"),
            "DROP TRIGGER IF EXISTS portal_auditevent_append_only ON portal_auditevent;",
        ),
        migrations.RunPython(seed_role_types, migrations.RunPython.noop),
    ]
