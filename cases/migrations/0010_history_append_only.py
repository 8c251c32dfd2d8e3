from django.db import migrations

# The SQL is frozen here, as every migration's must be. portal_refuse_change()
# is the one append-only function (portal migration 0005).
ROW_TRIGGER = """
CREATE TRIGGER {table}_append_only
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();
"""
TRUNCATE_TRIGGER = """
CREATE TRIGGER {table}_refuses_truncate
BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_change();
"""

TABLES = ["cases_message", "cases_statuschange"]


class Migration(migrations.Migration):
    """The conversation and the status history are records of what was said and done when.

    Like the role register: a message or a status change is never changed or
    removed; a correction is a new one. The database refuses UPDATE, DELETE
    and TRUNCATE from everyone, and the app role is granted only SELECT and
    INSERT on them (portal/db/roles.py). A case with messages or a history can
    therefore not be deleted either.
    """

    dependencies = [
        ("cases", "0009_created_year_index"),
        ("portal", "0005_append_only_and_role_types"),
    ]

    operations = [
        operation
        for table in TABLES
        for operation in (
            migrations.RunSQL(
                ROW_TRIGGER.format(table=table),
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
            ),
            migrations.RunSQL(
                TRUNCATE_TRIGGER.format(table=table),
                f"DROP TRIGGER IF EXISTS {table}_refuses_truncate ON {table};",
            ),
        )
    ]
